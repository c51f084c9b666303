import { validAuth } from "./auth.ts";
import { UNICODE_SNIPPETS } from "./bodies.ts";
import { type Case, KNOWN_4XX, nowS, PATH, rng, type Source } from "./requests.ts";

/**
 * Signed, well-shaped events carrying hostile content. The payload is valid, so a 2xx is fine; a
 * 4xx is fine; a 5xx is not. These may record and enqueue, so they run after the main suite.
 */
export function generateEdgeProbes(seed: number): Case[] {
  const r = rng(seed);
  const json = { "content-type": "application/json" };
  const probes: Case[] = [];
  const probe = (source: Source, label: string, body: string) =>
    probes.push({
      category: "edge-probe",
      label: `${source}: ${label}`,
      method: "POST",
      path: PATH[source],
      headers: { ...json, ...validAuth(source, body, r) },
      body,
      auth: true,
      codes: KNOWN_4XX,
      allow2xx: true,
    });
  const stripeWith = (note: string, id = r.id("evt")) =>
    `{"id":"${id}","object":"event","type":"invoice.paid","created":${nowS()},"data":{"object":{"id":"in_1","customer":"cus_1","note":"${note}"}}}`;
  const zendeskWith = (detail: string) =>
    `{"id":"${r.id("zen")}","type":"zen:event-type:ticket.created","detail":${detail}}`;
  const appWith = (name: string) =>
    `{"type":"user.signed_up","data":{"userId":"${r.id("u")}","email":"edge@example.com","name":"${name}"}}`;

  for (const [label, snippet] of UNICODE_SNIPPETS) {
    if (snippet.includes("\u0000")) continue; // a raw NUL cannot be inside a JSON string: it is malformed
    probe("stripe", label, stripeWith(snippet));
    probe("app", label, appWith(snippet));
    probe("zendesk", label, zendeskWith(`{"subject":"${snippet}"}`));
  }
  probe("stripe", "created 1e300", stripeWith("x").replace(/"created":\d+/, '"created":1e300'));
  probe("hubspot", "eventId 1e300", JSON.stringify([{ eventId: 1e300, subscriptionType: "contact.creation" }]));
  probe(
    "hubspot",
    "100 events, one batch",
    JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ eventId: 9e8 + i, subscriptionType: "contact.creation" }))),
  );
  for (const depth of [1_000, 100_000]) {
    probe("zendesk", `detail nested ${depth} deep`, zendeskWith(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`));
  }
  probe("stripe", "10,000-char event id", stripeWith("x", `evt_${r.string(10_000)}`));
  probe("acme", "type of 5,000 chars", JSON.stringify({ type: r.string(5_000), data: {} }));
  probe("stripe", "type of 5,000 chars", stripeWith("x").replace('"invoice.paid"', `"${r.string(5_000)}"`));
  probe("acme", "type of 1,000 chars", JSON.stringify({ type: r.string(1_000), data: {} }));
  return probes;
}
