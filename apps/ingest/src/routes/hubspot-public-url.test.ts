import { createLogger, parseConfig } from "@switchyard/config";
import { hubspotContactCreated, signHubspot } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startIngest } from "../server.ts";
import { createHarness, type Harness, SECRETS } from "../testing/harness.ts";

const PUBLIC = "https://hooks.example.com";

describe("HubSpot's signed URL outside development", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({
      driver: "postgres",
      label: "hubspot_public_url",
      env: { NODE_ENV: "production", INGEST_PUBLIC_URL: PUBLIC },
    });
  });
  afterAll(() => h.close());

  it("without INGEST_PUBLIC_URL, ingest refuses to start, naming the variable", async () => {
    const logs: string[] = [];
    const config = parseConfig({ NODE_ENV: "production", HUBSPOT_CLIENT_SECRET: SECRETS.hubspot, INGEST_PORT: "0" });
    const started = startIngest({
      config,
      dbHandle: h.dbHandle,
      logger: createLogger({ name: "t", level: "debug", write: (l) => logs.push(l) }),
    });
    await expect(started).rejects.toMatchObject({
      name: "StartupError",
      exitCode: 78,
      message: expect.stringMatching(
        /HUBSPOT_CLIENT_SECRET is set but INGEST_PUBLIC_URL is not.*Set INGEST_PUBLIC_URL/,
      ),
    });
    // Refused before listening or connecting to anything.
    expect(logs.join("\n")).not.toContain("ingest listening");
  });

  it("with it set, a signature over a spoofed Host is 401 and writes nothing; one over the public URL is accepted", async () => {
    const batch = [hubspotContactCreated({ eventId: 9001 })];
    const evil = "http://evil.example/webhooks/hubspot";
    const forged = signHubspot({ payload: batch, secret: SECRETS.hubspot, uri: evil });
    const res = await h.app.request(evil, { method: "POST", body: forged.body, headers: forged.headers });
    expect(res.status).toBe(401);
    expect(await h.eventRows("9001")).toHaveLength(0);

    const real = signHubspot({ payload: batch, secret: SECRETS.hubspot, uri: `${PUBLIC}/webhooks/hubspot` });
    const ok = await h.app.request(evil, { method: "POST", body: real.body, headers: real.headers });
    expect(ok.status).toBe(202);
    expect(await h.eventRows("9001")).toHaveLength(1);
  });

  it("in development ingest starts, warns that the Host header is trusted, and logs one line of enabled sources", async () => {
    const logs: string[] = [];
    const config = parseConfig({
      NODE_ENV: "development",
      REDIS_URL: h.config.REDIS_URL,
      QUEUE_PREFIX: h.config.QUEUE_PREFIX,
      HUBSPOT_CLIENT_SECRET: SECRETS.hubspot,
      STRIPE_WEBHOOK_SECRET: SECRETS.stripe,
      WEBHOOK_SECRET_ACME: SECRETS.generic,
      APP_API_KEYS: SECRETS.appKey,
      INGEST_PORT: "0",
    });
    const ingest = await startIngest({
      config,
      dbHandle: h.dbHandle,
      logger: createLogger({ name: "t", level: "debug", write: (l) => logs.push(l) }),
    });
    await ingest.close();
    const lines = logs.map((l) => JSON.parse(l) as { level: string | number; msg: string; sources?: string[] });
    expect(lines.filter((l) => /Host header/.test(l.msg))).toHaveLength(1);
    const enabled = lines.filter((l) => l.msg.startsWith("sources enabled"));
    expect(enabled).toHaveLength(1);
    expect(enabled[0]?.msg).toBe("sources enabled: stripe, hubspot, acme, app");
  });
});
