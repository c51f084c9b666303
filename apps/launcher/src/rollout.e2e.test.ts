import { type Config, createLogger } from "@switchyard/config";
import { crmSync } from "@switchyard/crm-sync";
import { eq, schema, sql } from "@switchyard/db";
import { startWorkers } from "@switchyard/queue";
import { appEventRequest, FakeHubspot } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";
import { WORKERS } from "./workers.ts";

describe("a narrow rollout: crm-sync in shadow beside the old glue, then live", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-rollout" });
    // crm-sync runs apart, so each phase can start it with its own ROLLOUT_MODES, as a restart would.
    sys = await startSystem({
      label: "rollout",
      env: { HUBSPOT_ACCESS_TOKEN: "pat-rollout", HUBSPOT_API_BASE: hubspot.url },
      workers: WORKERS.filter((w) => w !== crmSync),
    });
  });
  afterAll(async () => {
    await sys.close();
    await hubspot.close();
  });

  const runCrmSync = (config: Config) =>
    startWorkers([crmSync], {
      config,
      logger: createLogger({ name: "rollout-test", level: "error" }),
      dbHandle: sys.dbHandle,
    });
  const signup = (i: number) =>
    sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId: `u-ro-${i}`, email: `ro${i}@example.com` } },
        apiKey: KEYS.app,
      }),
    );
  const shadowed = async () =>
    (
      await sys.dbHandle.db
        .select({ n: sql<number>`count(*)::int` })
        .from(schema.shadowWrites)
        .where(eq(schema.shadowWrites.queue, "crm-sync"))
    )[0]?.n;

  it("in shadow, 200 signups make no HubSpot call and 200 'would have written' entries", async () => {
    const shadow = await runCrmSync({ ...sys.config, ROLLOUT_MODES: ["crm-sync=shadow"] });
    try {
      for (let i = 0; i < 200; i++) expect((await signup(i)).status).toBe(202);
      await sys.waitForIdle(60_000);
    } finally {
      await shadow.close();
    }
    expect(hubspot.received).toHaveLength(0);
    expect(await shadowed()).toBe(200);
    const [entry] = await sys.dbHandle.db
      .select()
      .from(schema.shadowWrites)
      .where(eq(schema.shadowWrites.target, "ro7@example.com"));
    expect(entry).toMatchObject({ provider: "hubspot", operation: "upsert_contact", source: "app" });
    expect(entry?.request).toMatchObject({ email: "ro7@example.com", lifecycleStage: "lead" });
  });

  it("switched to live, the next signup writes one contact", async () => {
    const live = await runCrmSync({ ...sys.config, ROLLOUT_MODES: [] });
    try {
      expect((await signup(200)).status).toBe(202);
      await sys.waitForIdle();
    } finally {
      await live.close();
    }
    expect(hubspot.upserts()).toHaveLength(1);
    expect([...hubspot.contacts.keys()]).toEqual(["ro200@example.com"]);
    expect(await shadowed()).toBe(200);
  });
});
