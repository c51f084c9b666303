import { adminUrlOf } from "@switchyard/queue";
import { FakeServer, invoicePaid, signStripe } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

// A signed Stripe invoice whose metadata key is written to be read by Slack: each control
// sequence Slack would act on, in the key the validation error quotes.
const HOSTILE = "<!channel> <!here> <@U123> <https://evil.example|click>";
const INERT = "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;";

describe("alerts built from an event's text, at default settings", () => {
  let sys: System;
  let receiver: FakeServer;

  beforeAll(async () => {
    receiver = await new FakeServer((req) =>
      req.path === "/slack" ? () => ({ status: 200, body: "ok" }) : undefined,
    ).start();
    sys = await startSystem({ label: "alert_escape", env: { ALERT_WEBHOOK_URL: `${receiver.url}/slack` } });
  });
  afterAll(async () => {
    await sys?.close();
    await receiver?.close();
  });

  const bodies = () => receiver.received.filter((r) => r.path === "/slack").map((r) => r.body as { text: string });

  it("reach the receiver with no mention, no disguised link and no forged line active", async () => {
    const event = invoicePaid({ customer: "cus_escape" });
    (event.data.object as Record<string, unknown>).metadata = { [HOSTILE]: 42 };
    const res = await sys.post("/webhooks/stripe", signStripe({ payload: event, secret: KEYS.stripe }));
    expect(res.status).toBe(202);
    const admin = adminUrlOf(sys.config);
    const error = `invalid_payload: stripe.invoice.paid: data.object.metadata.${INERT}: Invalid input: expected string, received number`;

    // Parked at once (a payload no retry can fix), and alerted as parked.
    await until(async () => bodies().length > 0, "the parked alert");
    expect(bodies()[0]).toEqual({
      text: [
        ":rotating_light: Switchyard: invalid_payload in billing-sync (stripe.invoice.paid), parked after 1 attempt(s)",
        `> \`${error}\``,
        "Further invalid_payload failures in the next 300 s are counted, not sent.",
        `<${admin}/console/failures?reason=invalid_payload|invalid_payload failures in the console> · <${admin}/queues/queue/failed.invalid_payload?status=failed|failed.invalid_payload in Bull Board>`,
      ].join("\n"),
    });

    // ALERT_AFTER_MS on, billing-sync has had no success since: the failing alert, as inert.
    await until(async () => bodies().length > 1, "the failing alert", 45_000);
    const failing = bodies()[1]?.text ?? "";
    expect(failing.replace(/\d\d:\d\d:\d\d UTC/, "hh:mm:ss UTC")).toBe(
      [
        ":warning: Switchyard: invalid_payload failing in billing-sync (Stripe events) since hh:mm:ss UTC",
        `> \`${error}\``,
        "1 failed attempt(s) so far: no job is retrying, 1 already parked.",
        `<${admin}/console|Failing now, in the console> · <${admin}/queues/queue/billing-sync?status=delayed|billing-sync retries in Bull Board>`,
        'No other invalid_payload failing alert for now: one "recovered" message follows when it stops failing.',
      ].join("\n"),
    );
    for (const { text } of bodies()) {
      for (const active of ["<!channel>", "<!here>", "<@U123>", "<https://evil.example|click>"])
        expect(text).not.toContain(active);
    }
  }, 90_000);
});
