import { createLogger } from "@switchyard/config";
import { deleteKeysWithPrefix, FakeServer, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerter, type KpiAlert } from "./alerts.ts";
import { createRedis } from "./redis.ts";

describe("alerter", () => {
  const prefix = uniquePrefix("alerts");
  const logger = createLogger({ name: "alerts-test", level: "silent" });
  let hook: FakeServer;
  let redisA: ReturnType<typeof createRedis>;
  let redisB: ReturnType<typeof createRedis>;

  beforeAll(async () => {
    hook = await new FakeServer((req) => (req.path === "/hook" ? () => ({ status: 200 }) : undefined)).start();
    redisA = createRedis(TEST_REDIS_URL, "producer");
    redisB = createRedis(TEST_REDIS_URL, "producer");
  });
  afterAll(async () => {
    redisA.disconnect();
    redisB.disconnect();
    await hook.close();
    await deleteKeysWithPrefix(prefix);
  });

  // Two processes' alerters on one Redis.
  const alerter = (redis: ReturnType<typeof createRedis>) =>
    createAlerter({ redis, prefix, logger, webhookUrl: `${hook.url}/hook`, windowMs: 60_000 });
  const texts = () => hook.received.map((r) => (r.body as { text: string }).text);
  const kpi: KpiAlert = {
    key: "webhook_failure_rate",
    label: "Webhook failures",
    value: 12.5,
    unit: "%",
    threshold: 1,
    comparator: "<",
    window: "last 24 h",
  };

  it("a KPI crossing offered many times by two processes is one Slack-format message", async () => {
    const [a, b] = [alerter(redisA), alerter(redisB)];
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).notifyKpi(kpi, "crossing-1")));
    expect(texts()).toEqual([
      [
        ":chart_with_downwards_trend: Switchyard KPI: Webhook failures is 12.5% (last 24 h)",
        "> threshold: webhook_failure_rate < 1%",
        "One alert per crossing: it alerts again only after it has recovered.",
      ].join("\n"),
    ]);
    // A new crossing alerts again, once.
    await Promise.all([a.notifyKpi(kpi, "crossing-2"), b.notifyKpi(kpi, "crossing-2")]);
    expect(texts()).toHaveLength(2);
  });

  it("failure alerts keep their storm window, apart from KPI alerts", async () => {
    const before = texts().length;
    const a = alerter(redisA);
    for (let i = 0; i < 5; i++) await a.notify("crm_timeout", { queue: "crm-sync", jobName: "j", error: "slow" });
    expect(texts().slice(before)).toHaveLength(1);
    expect(texts().at(-1)).toContain("crm_timeout in crm-sync");
  });
});
