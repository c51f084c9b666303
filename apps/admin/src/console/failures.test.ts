import { eq, schema } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "../testing/harness.ts";
import { SCRIPT_TAG } from "./page.ts";

describe("console failures page", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_failures");
    await h.park({ reason: "crm_timeout", jobId: "f-timeout", lastError: "crm_timeout: HubSpot did not answer" });
    await h.park({
      reason: "invalid_payload",
      queue: "billing-sync",
      jobId: "f-invalid",
      lastError: `invalid_payload: email "<script>alert(1)</script>" is not valid`,
    });
    await h.park({
      reason: "auth_failed",
      jobId: "f-auth",
      lastError: "auth_failed: HubSpot rejected the credentials",
    });
  });
  afterAll(() => h?.close());

  const rowsOf = (page: string) => [...page.matchAll(/data-failure="([0-9a-f-]{36})"/g)].map((m) => m[1]);
  const failure = async (jobId: string) =>
    (await h.dbHandle.db.select().from(schema.failures).where(eq(schema.failures.jobId, jobId)))[0];
  const location = (res: Response) => new URL(res.headers.get("location") ?? "", ORIGIN);

  it("lists open failures by default and searches by reason, queue and text", async () => {
    const all = await h.get("/console/failures");
    expect(all.status).toBe(200);
    expect(rowsOf(await all.text())).toHaveLength(3);
    const byReason = await (await h.get("/console/failures?reason=crm_timeout")).text();
    expect(rowsOf(byReason)).toEqual([(await failure("f-timeout"))?.id]);
    expect(byReason).toContain('<option value="crm_timeout" selected>');
    const byQueue = await (await h.get("/console/failures?queue=billing-sync")).text();
    expect(rowsOf(byQueue)).toEqual([(await failure("f-invalid"))?.id]);
    const byText = await (await h.get("/console/failures?q=rejected%20the%20credentials")).text();
    expect(rowsOf(byText)).toEqual([(await failure("f-auth"))?.id]);
    // Customer: any failure whose payload names them (here the parked job id rides in the payload).
    const byCustomer = await (await h.get("/console/failures?customer=f-invalid")).text();
    expect(rowsOf(byCustomer)).toEqual([(await failure("f-invalid"))?.id]);
    expect(byCustomer).toContain('name="customer" value="f-invalid"');
    const none = await (await h.get("/console/failures?q=nothing-like-this")).text();
    expect(none).toContain("No failures match.");
  });

  it("escapes error text from the failure", async () => {
    const page = (await (await h.get("/console/failures?queue=billing-sync")).text()).replace(SCRIPT_TAG, "");
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain("email &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot; is not valid");
    const echoed = (await (await h.get("/console/failures?q=%22%3E%3Cscript%3E")).text()).replace(SCRIPT_TAG, "");
    expect(echoed).not.toMatch(/<script/i);
    expect(echoed).toContain('value="&quot;&gt;&lt;script&gt;"');
  });

  it("retries one failure from its button, audited, and comes back to the same search", async () => {
    const f = await failure("f-timeout");
    const back = "/console/failures?reason=crm_timeout&queue=&status=open&q=";
    const res = await h.post(`/console/failures/${f?.id}/retry`, { back });
    expect(res.status).toBe(303);
    const to = location(res);
    expect(to.pathname).toBe("/console/failures");
    expect(to.searchParams.get("reason")).toBe("crm_timeout");
    expect(to.searchParams.get("flash")).toMatch(new RegExp(`^Retry of ${f?.id}: (queued|re-added)\\.$`));
    const entry = (await h.audit()).find((a) => a.action === "failure.retry");
    expect(entry).toMatchObject({ actor: CREDS.user, target: f?.id });
    const page = await (await h.get(`${to.pathname}${to.search}`)).text();
    expect(page).toContain(to.searchParams.get("flash"));
  });

  it("discards a failure only with a note, and says so", async () => {
    const f = await failure("f-auth");
    const noNote = await h.post(`/console/failures/${f?.id}/discard`, { note: "", back: "/console/failures" });
    expect(location(noNote).searchParams.get("error")).toBe("Discarding needs a note (a few words).");
    expect((await failure("f-auth"))?.status).toBe("open");

    const res = await h.post(`/console/failures/${f?.id}/discard`, { note: "test account", back: "/console/failures" });
    expect(location(res).searchParams.get("flash")).toBe(`Discarded ${f?.id}.`);
    expect(await failure("f-auth")).toMatchObject({ status: "discarded", note: "test account" });
    expect(await h.registry.failure("auth_failed").getJob(`${f?.id}-1`)).toBeUndefined();
    const entry = (await h.audit()).find((a) => a.action === "failure.discard");
    expect(entry).toMatchObject({ actor: CREDS.user, target: f?.id, reason: "test account" });

    const discarded = await (await h.get("/console/failures?status=discarded")).text();
    expect(rowsOf(discarded)).toEqual([f?.id]);
    expect(discarded).toContain("test account");
    // A closed failure cannot be retried again.
    const again = await h.post(`/console/failures/${f?.id}/retry`, {});
    expect(location(again).searchParams.get("error")).toBe("failure is discarded");
  });

  it("answers an unknown failure with an error flash", async () => {
    const res = await h.post("/console/failures/00000000-0000-4000-8000-000000000009/retry", {});
    expect(location(res).searchParams.get("error")).toBe("no failure 00000000-0000-4000-8000-000000000009");
  });

  it("refuses cross-origin retry and discard before any write", async () => {
    const f = await failure("f-invalid");
    const before = (await h.audit()).length;
    const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    expect((await h.post(`/console/failures/${f?.id}/retry`, {}, evil)).status).toBe(403);
    expect((await h.post(`/console/failures/${f?.id}/discard`, { note: "gone" }, evil)).status).toBe(403);
    expect((await failure("f-invalid"))?.status).toBe("open");
    expect((await h.audit()).length).toBe(before);
  });
});
