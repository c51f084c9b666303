import { zendeskDirectory } from "@switchyard/connectors";
import { ZendeskTicketCreated } from "@switchyard/events";
import { type FakeTicket, type FakeUser, FakeZendesk, providerExample } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketFromZendeskApi } from "./zendesk-tickets.ts";

/** Zendesk's documented ticket.created, ticket and user, replayed with one ticket's and one user's ids. */
describe("a Zendesk ticket event made whole from Zendesk's APIs", () => {
  let fake: FakeZendesk;
  const event = providerExample<{ detail: Record<string, unknown> }>("zendesk", "ticket-created");
  beforeAll(async () => {
    fake = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-t" });
    const { user } = providerExample<{ user: FakeUser }>("zendesk", "show-user");
    const { ticket } = providerExample<{ ticket: FakeTicket }>("zendesk", "show-ticket");
    fake.users.set(8447388090494, { ...user, id: 8447388090494 });
    fake.tickets.set(5158, { ...ticket, id: 5158, requester_id: 8447388090494 });
  });
  afterAll(() => fake.close());
  const directory = () =>
    zendeskDirectory({ baseUrl: fake.url, email: "bot@example.com", apiToken: "zd-t", userTtlMs: 60_000 });

  it("finds the requester's email through the Users API; the event's subject and description stand", async () => {
    const parsed = ZendeskTicketCreated.parse(event);
    const ticket = await ticketFromZendeskApi(parsed, directory());
    expect(ticket).toMatchObject({
      externalId: "5158",
      requesterEmail: "johnny@example.com",
      subject: "ticket_created",
      message: "ticket_created",
    });
    expect(fake.requests(/^GET \/api\/v2\/tickets\//)).toHaveLength(0);
  });

  it("reads the subject and description from the ticket when the event lacks them", async () => {
    const { subject: _s, description: _d, ...detail } = event.detail;
    const ticket = await ticketFromZendeskApi(ZendeskTicketCreated.parse({ ...event, detail }), directory());
    expect(ticket).toMatchObject({
      requesterEmail: "johnny@example.com",
      subject: "Help, my printer is on fire!",
      message: "The fire is very colorful.",
    });
  });

  it("without Zendesk's API, the event is all there is: no email, so no customer to find by it", async () => {
    expect((await ticketFromZendeskApi(ZendeskTicketCreated.parse(event), undefined)).requesterEmail).toBeNull();
  });
});
