import { appEventRequest, FakeHubspot, FakeServer } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

// At default settings: the catalog's 8 attempts and 2 s exponential backoff, ALERT_AFTER_MS and
// ALERT_WINDOW_MS as shipped. Nothing here is shortened; this file takes about two minutes.

const ADMIN_TOKEN = "sy_admin_alert_failing_0123456789abcdef";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("alerts while a provider fails, at default settings", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  let receiver: FakeServer;

  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-alert-failing" });
    // Stands in for Slack's incoming webhook.
    receiver = await new FakeServer((req) =>
      req.path === "/slack" ? () => ({ status: 200, body: "ok" }) : undefined,
    ).start();
    sys = await startSystem({
      label: "alert_failing",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-alert-failing",
        HUBSPOT_API_BASE: hubspot.url,
        ALERT_WEBHOOK_URL: `${receiver.url}/slack`,
        ADMIN_TOKEN,
      },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await hubspot?.close();
    await receiver?.close();
  });

  const messages = () =>
    receiver.received
      .filter((r) => r.path === "/slack")
      .map((r) => ({ at: r.at, text: (r.body as { text: string }).text }));
  // The failure watch's messages for this reason. The admin's stuck checker may speak too: this
  // system runs no relay, so on a loaded machine events still retrying past RELAY_GRACE_MS +
  // STUCK_AFTER_MS count as not relayed (":hourglass:", then its own ":white_check_mark:").
  const failing = () => messages().filter((m) => m.text.startsWith(":warning: Switchyard: upstream_unavailable "));
  const recovered = () =>
    messages().filter((m) => m.text.startsWith(":white_check_mark: Switchyard: upstream_unavailable recovered"));
  const signup = (userId: string) =>
    sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
        apiKey: KEYS.app,
      }),
    );

  it("HubSpot answering 502: one failing message within 60 s of the first failed call for 500 jobs, one recovered message after", async () => {
    hubspot.fail({ status: 502 });
    // 500 signups arrive over the first 15 s of the outage.
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => signup(`u-502-${batch}-${i}`)));
      expect(answers.every((a) => a.status === 202)).toBe(true);
      await sleep(750);
    }
    const firstFailedCall = hubspot.upserts()[0]?.at ?? 0;
    const [alert] = await until(async () => failing().length > 0 && failing(), "the failing alert", 60_000);
    const secondsToAlert = ((alert?.at ?? 0) - firstFailedCall) / 1000;
    process.stdout.write(`first failed HubSpot call to the failing alert: ${secondsToAlert.toFixed(1)} s\n`);
    expect(secondsToAlert).toBeLessThanOrEqual(60);
    expect(alert?.text.split("\n")[0]).toMatch(
      /^:warning: Switchyard: upstream_unavailable failing in crm-sync \(HubSpot\) since \d\d:\d\d:\d\d UTC$/,
    );
    expect(alert?.text).toContain("> `upstream_unavailable: HubSpot answered 502`");
    expect(alert?.text).toMatch(
      /\d+ failed attempt\(s\) so far: \d+ job\(s\) retrying; if every retry fails they park between \d\d:\d\d:\d\d and \d\d:\d\d:\d\d UTC in failed\.upstream_unavailable\./,
    );
    expect(alert?.text).toContain("/console|Failing now, in the console> · <");
    // Nothing has parked yet (8 attempts take minutes); /api/failures says so, the alert does not wait for it.
    const open = await fetch(`${sys.adminUrl}/api/failures?reason=upstream_unavailable`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(((await open.json()) as { failures: unknown[] }).failures).toEqual([]);

    // Every one of the 500 has failed at least once, and the outage goes on a little longer.
    const emails = new Set(hubspot.upserts().map((r) => (r.body as { inputs: { id: string }[] }).inputs[0]?.id));
    expect(emails.size).toBe(500);
    await sleep(5_000);
    hubspot.heal();
    const healedAt = Date.now();

    await until(
      async () => [...hubspot.contacts.keys()].filter((e) => e.startsWith("u-502-")).length === 500 && true,
      "all 500 contacts to be written",
      150_000,
    );
    await until(async () => recovered().length > 0, "the recovered message", 10_000);
    await sys.waitForIdle(30_000);
    await sleep(3_000);
    for (const m of messages().filter((x) => !x.text.includes("upstream_unavailable")))
      process.stdout.write(`other alert: ${m.text.split("\n")[0]}\n`);
    expect(failing()).toHaveLength(1);
    expect(recovered()).toHaveLength(1);
    expect(recovered()[0]?.at).toBeGreaterThan(healedAt);
    expect(recovered()[0]?.text.split("\n")[0]).toMatch(
      /^:white_check_mark: Switchyard: upstream_unavailable recovered in crm-sync \(HubSpot\) at \d\d:\d\d:\d\d UTC$/,
    );
    // Nothing parked, so no parked alert, and each contact was written once.
    expect(messages().filter((m) => m.text.startsWith(":rotating_light:"))).toEqual([]);
    expect([...hubspot.contacts.values()].every((c) => c.writes === 1)).toBe(true);
    process.stdout.write(
      `healed to recovered message: ${(((recovered()[0]?.at ?? 0) - healedAt) / 1000).toFixed(1)} s; messages: ${messages().length}\n`,
    );
  }, 240_000);
});
