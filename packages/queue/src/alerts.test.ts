import { createLogger } from "@switchyard/config";
import { deleteKeysWithPrefix, FakeServer, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerter, type KpiAlert } from "./alerts.ts";
import { escapeMrkdwn, link, untrusted } from "./mrkdwn.ts";
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
        // Slack shows `&lt;` as `<`; a bare `<` would open a control sequence.
        "> threshold: webhook_failure_rate &lt; 1%",
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

  it("a parked alert shows an event's text inert: no mention, no disguised link, nothing formatted", async () => {
    const before = texts().length;
    const hostile = "<!channel> <!here> <@U123> <https://evil.example|click> & *bold*\n> fake line";
    await alerter(redisA).notify("invalid_payload", {
      queue: "billing-sync",
      jobName: "stripe.invoice.paid",
      error: `invalid_payload: stripe.invoice.paid: data.object.metadata.${hostile}: Invalid input`,
      attempts: 1,
    });
    expect(texts().slice(before)).toEqual([
      [
        ":rotating_light: Switchyard: invalid_payload in billing-sync (stripe.invoice.paid), parked after 1 attempt(s)",
        "> `invalid_payload: stripe.invoice.paid: data.object.metadata.&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; *bold* &gt; fake line: Invalid input`",
        "Further invalid_payload failures in the next 60 s are counted, not sent.",
        "<http://127.0.0.1:3001/console/failures?reason=invalid_payload|invalid_payload failures in the console> · <http://127.0.0.1:3001/queues/queue/failed.invalid_payload?status=failed|failed.invalid_payload in Bull Board>",
      ].join("\n"),
    ]);
  });
});

describe("mrkdwn", () => {
  it("escapes what opens a control sequence, and nothing else", () => {
    expect(escapeMrkdwn("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    // Already escaped text is escaped again: what arrives is shown as it came.
    expect(escapeMrkdwn("&lt;!channel&gt;")).toBe("&amp;lt;!channel&amp;gt;");
  });

  it("keeps untrusted text on one line in one code span, cut at its length", () => {
    expect(untrusted("a\r\nb\u2028c\u0000d `e`")).toBe("`a b c d 'e'`");
    expect(untrusted("x".repeat(10), 4)).toBe("`xxxx…`");
    expect(untrusted("  ")).toBe("`(no message)`");
  });

  it("builds links of Switchyard's own whose label and address cannot break out", () => {
    expect(link("http://admin.test/console?x=a|b>", "a <label> | b")).toBe(
      "<http://admin.test/console?x=a%7Cb%3E|a &lt;label&gt; / b>",
    );
  });
});
