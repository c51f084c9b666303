import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { parseExposition, sumOf } from "./exposition.ts";
import { createMetrics } from "./metrics.ts";
import { readSnapshots, scrapeMetrics, startMetricsPublisher, writeSnapshot } from "./snapshots.ts";

const prefix = uniquePrefix("metrics");
const redis = new Redis(TEST_REDIS_URL);

afterAll(async () => {
  redis.disconnect();
  await deleteKeysWithPrefix(prefix);
});

describe("scrapeMetrics", () => {
  it("adds up this process's live instruments and every other process's snapshot", async () => {
    const ingest = createMetrics();
    const worker = createMetrics();
    const admin = createMetrics();
    const publishers = [ingest, worker].map((metrics) =>
      startMetricsPublisher({ metrics, redisUrl: TEST_REDIS_URL, prefix, intervalMs: 60_000 }),
    );
    ingest.webhooksReceived.inc({ source: "stripe" }, 3);
    ingest.webhooksRejected.inc({ source: "stripe", reason: "auth_failed" });
    ingest.ingestDuration.observe({ source: "stripe", status: "202" }, 0.004);
    worker.jobDuration.observe({ queue: "billing-sync", outcome: "completed" }, 0.2);
    worker.webhooksReceived.inc({ source: "stripe" }, 2);
    await Promise.all(publishers.map((p) => p.publishNow()));
    // Admin's own process counts too, read live: no publish needed.
    admin.webhooksReceived.inc({ source: "zendesk" });

    const text = await scrapeMetrics({ local: admin, redis, prefix });
    const scraped = parseExposition(text);
    expect(sumOf(scraped, "switchyard_webhooks_received_total", { source: "stripe" })).toBe(5);
    expect(sumOf(scraped, "switchyard_webhooks_received_total", { source: "zendesk" })).toBe(1);
    expect(sumOf(scraped, "switchyard_webhooks_rejected_total", { reason: "auth_failed" })).toBe(1);
    expect(sumOf(scraped, "switchyard_ingest_request_duration_seconds_count")).toBe(1);
    expect(sumOf(scraped, "switchyard_job_duration_seconds_bucket", { outcome: "completed", le: "0.25" })).toBe(1);
    expect(sumOf(scraped, "switchyard_metrics_processes")).toBe(3);
    // A family nobody observed yet is still declared.
    expect(scraped.types.get("switchyard_openai_tokens_total")).toBe("counter");
    expect(scraped.types.get("switchyard_event_latency_seconds")).toBe("histogram");
    await Promise.all(publishers.map((p) => p.close()));
  });

  it("drops a process whose snapshot expired", async () => {
    const own = uniquePrefix("metrics-ttl");
    const gone = createMetrics();
    gone.webhooksReceived.inc({ source: "stripe" });
    await writeSnapshot(redis, own, gone, 50);
    expect(await readSnapshots(redis, own)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(await readSnapshots(redis, own)).toHaveLength(0);
    expect(await redis.smembers(`${own}:metrics:instances`)).toEqual([]);
    await deleteKeysWithPrefix(own);
  });

  it("publishes a last snapshot on close", async () => {
    const own = uniquePrefix("metrics-close");
    const metrics = createMetrics();
    const publisher = startMetricsPublisher({ metrics, redisUrl: TEST_REDIS_URL, prefix: own, intervalMs: 60_000 });
    metrics.openaiTokens.inc({ kind: "prompt" }, 42);
    await publisher.close();
    const text = await scrapeMetrics({ local: createMetrics(), redis, prefix: own });
    expect(sumOf(parseExposition(text), "switchyard_openai_tokens_total", { kind: "prompt" })).toBe(42);
    await deleteKeysWithPrefix(own);
  });
});

describe("parseExposition", () => {
  it("refuses a line that is not a sample and a family declared twice", () => {
    expect(() => parseExposition("switchyard_x{a=1} 2")).toThrow(/line 1/);
    expect(() => parseExposition("# TYPE a counter\n# TYPE a counter\n")).toThrow(/second # TYPE/);
    expect(parseExposition('a{b="c\\"d"} 1e3\n').samples).toEqual([{ name: "a", labels: { b: 'c"d' }, value: 1000 }]);
  });
});

describe("startMetricsPublisher", () => {
  it("closes within about a second when Redis is unreachable", async () => {
    const errors: Error[] = [];
    const publisher = startMetricsPublisher({
      metrics: createMetrics(),
      redisUrl: "redis://127.0.0.1:1",
      prefix: uniquePrefix("metrics-down"),
      intervalMs: 60_000,
      onError: (err) => errors.push(err),
    });
    const started = Date.now();
    await publisher.close();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
