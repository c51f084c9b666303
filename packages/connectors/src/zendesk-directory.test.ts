import type { RetryableError } from "@switchyard/events";
import { type FakeTicket, type FakeUser, FakeZendesk, providerExample, rejectionOf } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zendeskDirectory } from "./zendesk-directory.ts";

describe("Zendesk's Users and Tickets APIs, read", () => {
  let fake: FakeZendesk;
  let clock = 0;
  beforeAll(async () => {
    fake = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-dir" });
    // Zendesk's own documented answers, served as they are.
    const { user } = providerExample<{ user: FakeUser }>("zendesk", "show-user");
    const { ticket } = providerExample<{ ticket: FakeTicket }>("zendesk", "show-ticket");
    fake.users.set(user.id, user);
    fake.tickets.set(ticket.id, ticket);
  });
  afterAll(() => fake.close());
  const directory = (ttl = 60_000) =>
    zendeskDirectory({
      baseUrl: fake.url,
      email: "bot@example.com",
      apiToken: "zd-dir",
      userTtlMs: ttl,
      timeoutMs: 500,
      now: () => clock,
    });

  it("reads the documented user and ticket", async () => {
    const dir = directory();
    expect(await dir.user("35436")).toEqual({
      id: 35436,
      name: "Johnny Agent",
      email: "johnny@example.com",
      external_id: "sai989sur98w9",
    });
    expect(await dir.ticket(35436)).toEqual({
      id: 35436,
      subject: "Help, my printer is on fire!",
      description: "The fire is very colorful.",
      requester_id: 20978392,
      status: "open",
    });
    expect(await dir.user(404404)).toBeUndefined();
  });

  it("reuses a user for its TTL, concurrent reads included, then asks again", async () => {
    const dir = directory(1_000);
    const reads = () => fake.requests(/^GET \/api\/v2\/users\/35436/).length;
    const before = reads();
    await Promise.all([dir.user(35436), dir.user(35436), dir.user("35436")]);
    clock += 999;
    await dir.user(35436);
    expect(reads() - before).toBe(1);
    clock += 2;
    await dir.user(35436);
    expect(reads() - before).toBe(2);
  });

  it("does not remember a failed read", async () => {
    const dir = directory();
    fake.fail({ status: 503, times: 1, match: /^GET \/api\/v2\/users\// });
    expect(((await rejectionOf(dir.user(35436))) as RetryableError).reason).toBe("upstream_unavailable");
    expect((await dir.user(35436))?.email).toBe("johnny@example.com");
  });
});
