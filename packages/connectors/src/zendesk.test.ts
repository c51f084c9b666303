import { createDb, type DbHandle, runMigrations } from "@switchyard/db";
import { PermanentError, RetryableError } from "@switchyard/events";
import { createTestDatabase, FakeZendesk, rejectionOf, type TestDatabase } from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { zendeskDesk } from "./zendesk.ts";

describe("Zendesk desk against the fake", () => {
  let fake: FakeZendesk;
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    fake = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-token-test" });
    testDb = await createTestDatabase("zendesk");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
  });
  afterEach(() => fake.heal());
  afterAll(async () => {
    await fake.close();
    await handle.close();
    await testDb.drop();
  });

  const desk = (apiToken = "zd-token-test") =>
    zendeskDesk({ baseUrl: fake.url, email: "bot@example.com", apiToken, timeoutMs: 300, db: handle.db });
  const key = (k: string) => ({ idempotencyKey: k });

  it("opens one ticket for an app request, found again by its external id", async () => {
    const input = { externalId: "app-evt-1", requesterEmail: "ada@example.com", subject: "Export", customerId: null };
    expect(await desk().ensureTicket(input, key("t1"))).toEqual({ externalId: "app-evt-1", created: true });
    expect(await desk().ensureTicket(input, key("t1"))).toEqual({ externalId: "app-evt-1", created: false });
    expect([...fake.tickets.values()].filter((t) => t.external_id === "app-evt-1")).toHaveLength(1);
  });

  it("adds an internal note once per key, on Zendesk's own ticket", async () => {
    fake.addTicket({ id: 77, subject: "Help" });
    const first = await desk().addInternalNote("77", { kind: "context", body: "Plan: pro" }, key("context-abc"));
    const again = await desk().addInternalNote("77", { kind: "context", body: "Plan: pro" }, key("context-abc"));
    expect(first.created).toBe(true);
    expect(again).toEqual({ noteId: first.noteId, created: false });
    expect(fake.notesOn(77)).toHaveLength(1);
    expect(fake.notesOn(77)[0]?.public).toBe(false);
  });

  it("after a write that timed out but landed, the retry finds the note instead of adding another", async () => {
    fake.addTicket({ id: 78 });
    fake.fail({ match: /^PUT /, latencyMs: 600, times: 1 });
    const err = await rejectionOf(desk().addInternalNote("78", { kind: "context", body: "ctx" }, key("context-late")));
    expect((err as RetryableError).reason).toBe("support_timeout");
    await new Promise((r) => setTimeout(r, 400));
    expect(fake.notesOn(78)).toHaveLength(1);
    const retry = await desk().addInternalNote("78", { kind: "context", body: "ctx" }, key("context-late"));
    expect(retry.created).toBe(false);
    expect(fake.notesOn(78)).toHaveLength(1);
  });

  it("adds tags and sets priority", async () => {
    fake.addTicket({ id: 79 });
    await desk().updateTicket("79", { addTags: ["refund", "escalated"], priority: "high" }, key("u1"));
    await desk().updateTicket("79", { addTags: ["refund"] }, key("u1"));
    expect(fake.tickets.get(79)).toMatchObject({ tags: ["escalated", "refund"], priority: "high" });
  });

  it.each([
    ["a timeout", () => fake.fail({ hang: true }), RetryableError, "support_timeout"],
    ["a 429", () => fake.fail({ status: 429, headers: { "retry-after": "3" } }), RetryableError, "rate_limited"],
    ["a 5xx", () => fake.fail({ status: 503 }), RetryableError, "upstream_unavailable"],
    ["a 401", () => fake.fail({ status: 401 }), PermanentError, "auth_failed"],
  ])("maps %s to its reason code", async (_label, inject, type, reason) => {
    fake.addTicket({ id: 80 });
    inject();
    const err = await rejectionOf(desk().updateTicket("80", { priority: "low" }, key("f")));
    expect(err).toBeInstanceOf(type);
    expect((err as RetryableError).reason).toBe(reason);
  });

  it("fails permanently for a ticket Zendesk does not have, and on a wrong token", async () => {
    expect(
      ((await rejectionOf(desk().updateTicket("999999", { priority: "low" }, key("x")))) as PermanentError).reason,
    ).toBe("invalid_payload");
    const bad = await rejectionOf(desk("zd-wrong").updateTicket("80", { priority: "low" }, key("y")));
    expect((bad as PermanentError).reason).toBe("auth_failed");
    expect(bad.message).not.toContain("zd-wrong");
  });
});
