import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { METRIC_FAMILIES, missingFamilies, parseExposition, sumOf } from "@switchyard/metrics";
import { deleteKeysWithPrefix, freePort, uniquePrefix } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./testing/processes.ts";

describe("pnpm demo", () => {
  const prefix = uniquePrefix("demo");
  const dataDir = `/tmp/sy-demo-${process.pid}-${Date.now()}`;
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await deleteKeysWithPrefix(prefix);
  });

  it("runs a day of signed traffic through every queue against the fakes, says where to look, and /metrics shows it", async () => {
    const proc = run(fileURLToPath(new URL("./demo.ts", import.meta.url)), {
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      INGEST_PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
    });
    await proc.waitFor("Running until Ctrl-C.", 90_000);
    const out = proc.output();
    expect(out).toMatch(/signed events sent and processed/);
    // The daily limit parks whichever HubSpot call comes next: a later signup's (7 contacts until
    // its Retry) or an update of a contact that exists (8), depending on what is still in flight.
    expect(out).toMatch(
      /customers: 8\s+HubSpot contacts: [78]\s+Zendesk internal notes: \d+\s+human-review items: [1-9]/,
    );
    expect(out).toMatch(/failures: rate_limited 1/);
    expect(out).toMatch(/Bull Board\s+http:\/\/127\.0\.0\.1:\d+\/queues/);
    expect(out).toMatch(/Console\s+http:\/\/127\.0\.0\.1:\d+\/console/);
    expect(out).toMatch(/model calls: [1-9]/);

    // The must-show: after the demo, /metrics scrapes cleanly with every family present.
    const [, metricsUrl] = /Metrics\s+curl -H "Authorization: Bearer \S+" (\S+)/.exec(out) ?? [];
    const [, token] = /Admin token\s+(\S+)/.exec(out) ?? [];
    expect(metricsUrl, out).toMatch(/\/metrics$/);
    expect((await fetch(metricsUrl ?? "")).status).toBe(401);
    const res = await fetch(metricsUrl ?? "", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    const scraped = parseExposition(text);
    expect(missingFamilies(scraped.types)).toEqual([]);
    expect(Object.keys(METRIC_FAMILIES).length).toBeGreaterThanOrEqual(15);
    expect(sumOf(scraped, "switchyard_webhooks_received_total")).toBeGreaterThan(10);
    expect(sumOf(scraped, "switchyard_job_duration_seconds_count", { outcome: "completed" })).toBeGreaterThan(10);
    expect(sumOf(scraped, "switchyard_event_latency_seconds_count")).toBeGreaterThan(0);
    expect(sumOf(scraped, "switchyard_openai_tokens_total")).toBeGreaterThan(0);
    expect(sumOf(scraped, "switchyard_failures", { reason: "rate_limited" })).toBe(1);
    expect(text).not.toContain(token);
    expect(await proc.stop()).toBe(0);
  }, 120_000);
});
