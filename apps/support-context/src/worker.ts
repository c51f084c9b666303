import {
  openaiSummarizerFor,
  type RolloutCustomer,
  rolloutDesk,
  rolloutFromConfig,
  supportDesk,
  zendeskDirectoryFor,
} from "@switchyard/connectors";
import {
  accountSummaryLine,
  aiOutputPolicy,
  attachContext,
  attachOnLocalDesk,
  type Customer,
  customerForTicket,
  deliverInTurn,
  findCustomer,
  refreshContexts,
  type TicketRef,
  ticketFromAppRequest,
  ticketFromZendeskApi,
} from "@switchyard/domain";
import { ALREADY_DELIVERED, defineWorker, delivered, type JobContext } from "@switchyard/queue";

const CLOSED = new Set(["solved", "closed"]);

/**
 * A new ticket gets one internal note with the customer's context, per context change; a change
 * to a customer's billing or orders corrects the note on each of their open tickets.
 */
export const supportContext = defineWorker(
  "support-context",
  ({ db, config }) => {
    const desk = supportDesk(db, config);
    const rollout = rolloutFromConfig(config);
    // Only with Zendesk's API can a requester named by id be found, and a ticket's status be read.
    const directory = zendeskDirectoryFor(config);
    // With an OpenAI key, a new ticket's note also carries a model-written account summary (no tools).
    const summarizer = openaiSummarizerFor(config);
    const policy = aiOutputPolicy(config);
    const scopeOf = (ctx: JobContext) => rollout.scope("support-context", ctx.envelope.source, ctx.eventId);
    const deskFor = (ctx: JobContext, customer: RolloutCustomer | undefined) =>
      rolloutDesk(db, desk, rollout, scopeOf(ctx), customer);

    const attach = async (ticket: TicketRef, ctx: JobContext) => {
      const customer = await customerForTicket(db, ticket);
      const { noteId, created } = await attachContext(db, deskFor(ctx, customer), ticket, customer, {
        eventId: ctx.eventId,
        signal: ctx.signal,
        reloadCustomer: () => customerForTicket(db, ticket),
        ...(summarizer
          ? {
              summarize: (c: Customer) =>
                accountSummaryLine(db, c, {
                  summarizer,
                  policy,
                  signal: ctx.signal,
                  onError: (err) => ctx.logger.warn("account summary left out of the context note", { err }),
                }),
            }
          : {}),
      });
      return { ticket: ticket.externalId, noteId, created, customerId: customer?.id ?? null };
    };

    const isOpen = async (ref: string, signal: AbortSignal) => {
      if (desk.name !== "zendesk" || !directory || !/^\d+$/.test(ref)) return true;
      const ticket = await directory.ticket(ref, { signal });
      return Boolean(ticket && !CLOSED.has(ticket.status ?? ""));
    };

    return {
      "zendesk.ticket.created": async (e, ctx) => {
        if (scopeOf(ctx).mode === "off") return { skipped: "off" };
        return attach(await ticketFromZendeskApi(e, directory, { signal: ctx.signal }), ctx);
      },
      "app.support.requested": async (e, ctx) => {
        const ticket = ticketFromAppRequest(e, ctx.eventId);
        const mode = scopeOf(ctx).mode;
        // Live on the embedded desk with no model summary, the common case: two statements.
        const done =
          desk.name === "local" && !summarizer && mode === "live"
            ? await attachOnLocalDesk(db, desk, ctx.delivery, ticket, { eventId: ctx.eventId, carry: ctx.carry })
            : await deliverInTurn<object>(db, ctx.delivery, () =>
                mode === "off" ? Promise.resolve({ skipped: "off" }) : attach(ticket, ctx),
              );
        return done.delivered ? delivered(done.result, done.completion, done.attempt) : ALREADY_DELIVERED;
      },
      "switchyard.customer.changed": async (p, ctx) => {
        if (scopeOf(ctx).mode === "off") return { skipped: "off" };
        const customer = (await findCustomer(db, { id: p.customerId })) ?? { id: p.customerId };
        return refreshContexts(db, deskFor(ctx, customer), p.customerId, {
          eventId: ctx.eventId,
          signal: ctx.signal,
          isOpen: (ref) => isOpen(ref, ctx.signal),
        });
      },
    };
  },
  { ownsLedger: ["app.support.requested"] },
);
