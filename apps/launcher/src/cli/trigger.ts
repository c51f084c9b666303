import type { Command } from "./command.ts";

export const trigger: Command = {
  name: "trigger",
  summary: "sign a sample event and send it to a running Switchyard, as its provider would",
  usage: "<type> [options]",
  details: `<type> is a routed type as the routing table names it: stripe.invoice.paid, hubspot.contact.creation,
zendesk.ticket.created, app.user.signed_up, … (--list shows every one). The sample has the provider's own
payload shape and is signed with the secrets in the environment, read as ./sy start reads them:
STRIPE_WEBHOOK_SECRET, HUBSPOT_CLIENT_SECRET, ZENDESK_WEBHOOK_SECRET, APP_API_KEYS (first of each list).
Prints the HTTP answer and where to see the event: the console and GET /api/events/<id> on admin.

Examples:
  ./sy trigger stripe.invoice.paid
  ./sy trigger app.user.signed_up --email grace@example.com --user u-grace
  ./sy trigger zendesk.ticket.created --url https://hooks.example.com`,
  positionals: 1,
  options: {
    list: { type: "boolean", description: "list every type that can be triggered, with the queues it reaches" },
    url: { type: "string", value: "url", description: "ingest's base URL (default http://127.0.0.1:$INGEST_PORT)" },
    "admin-url": {
      type: "string",
      value: "url",
      description: "admin's base URL, for the links printed (default http://127.0.0.1:$ADMIN_PORT)",
    },
    email: { type: "string", value: "email", description: "the sample customer's email (default ada@example.com)" },
    user: { type: "string", value: "id", description: "the sample customer's app user id (default u-ada)" },
  },
  async run(args) {
    // Loaded only when sending: help and the other commands need none of the signing code.
    const { runTrigger } = await import("./send.ts");
    return runTrigger(args);
  },
};
