import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "../testing/harness.ts";

const basic = `Basic ${Buffer.from(`${CREDS.user}:${CREDS.password}`).toString("base64")}`;
const SOME_ID = "01890a5d-ac96-774b-bcce-b302099a8057";

/** Every query parameter any admin route reads (the API's documented ones, the console's, Bull Board's). */
const QUERY_NAMES = [
  ...["q", "reason", "queue", "status", "customer", "event", "eventId", "source", "type", "from", "to"],
  ...["after", "limit", "actor", "action", "target", "window", "flash", "error", "activeQueue", "page"],
];

describe("invalid bytes in admin input", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("valid_input");
  });
  afterAll(() => h?.close());

  const send = (method: string, path: string) =>
    h.app.request(`${ORIGIN}${path}`, {
      method,
      headers: { authorization: basic, origin: ORIGIN, "sec-fetch-site": "same-origin" },
      ...(method === "GET" || method === "HEAD" ? {} : { body: "{}" }),
    });

  async function expect400(method: string, path: string) {
    const res = await send(method, path);
    expect(res.status, `${method} ${path}`).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error, `${method} ${path}`).toMatchObject({ code: "invalid_request", requestId: expect.any(String) });
  }

  /** The app's own routes (Bull Board's included), each param filled in with a plausible value. */
  const routes = () => {
    const seen = new Set<string>();
    const out: { method: string; path: string }[] = [];
    for (const r of h.app.routes) {
      if (!["GET", "POST", "PUT", "DELETE", "PATCH"].includes(r.method)) continue;
      const key = `${r.method} ${r.path}`;
      if (!seen.has(key)) out.push({ method: r.method, path: r.path });
      seen.add(key);
    }
    return out;
  };

  it("answers %00 in every path parameter of every route with a 400 in the error shape", async () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(30);
    let probed = 0;
    for (const { method, path } of all) {
      const params = [...path.matchAll(/:([A-Za-z0-9_]+)(\{[^}]*\})?|\*/g)].map((m) => m[0]);
      for (const target of params) {
        const filled = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?|\*/g, (m) => (m === target ? "a%00b" : SOME_ID));
        await expect400(method, filled);
        probed += 1;
      }
    }
    expect(probed).toBeGreaterThan(20);
  });

  it("answers %00 (and a byte sequence that is not UTF-8) in every query parameter of every route with a 400", async () => {
    for (const { method, path } of routes()) {
      const concrete = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?|\*/g, SOME_ID);
      for (const name of QUERY_NAMES) await expect400(method, `${concrete}?${name}=x%00y`);
      await expect400(method, `${concrete}?q=%ff`);
    }
  });

  it("answers the probes the issue found with 400, not 500", async () => {
    for (const path of [
      "/api/customers/%00/timeline",
      "/console/customers?q=%00",
      "/console/failures?customer=%00",
      "/api/failures?q=%00",
    ])
      await expect400("GET", path);
  });

  it("refuses a NUL inside a JSON or form body with a 400 and changes nothing", async () => {
    const f = await h.park({ reason: "crm_timeout", jobId: "nul-body" });
    const json = await h.app.request(`${ORIGIN}/api/failures/${f.id}/discard`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/json" },
      body: JSON.stringify({ note: "bad \u0000 note" }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    const form = await h.post(`/console/failures/${f.id}/discard`, {
      note: "bad \u0000 note",
      back: "/console/failures",
    });
    expect(form.status).toBe(400);
    const audit = await h.audit();
    expect(audit.filter((a) => a.target === f.id)).toEqual([]);
  });
});
