import { createLogger } from "@switchyard/config";
import { createDb, eq, schema } from "@switchyard/db";
import { createDispatcher, createRedis } from "@switchyard/queue";
import { freePort, TEST_REDIS_URL } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveAccount } from "./accounts.ts";
import { newAdminApp } from "./app.ts";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "./testing/harness.ts";
import { asBrowser, postSignIn, sessionCookie, signInAs } from "./testing/sign-in.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("console sign-in, sessions and the sign-in delay", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("sign_in");
  });
  afterAll(() => h?.close());

  it("sends a browser without a session to the sign-in page; the cookie then opens the console and Bull Board", async () => {
    const page = await h.app.request(`${ORIGIN}/console/failures?status=open`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/console/login?next=%2Fconsole%2Ffailures%3Fstatus%3Dopen");
    const api = await h.app.request(`${ORIGIN}/api/failures`, { headers: { accept: "text/html" } });
    expect(api.status).toBe(401);

    const form = await h.app.request(`${ORIGIN}/console/login?next=%2Fqueues`);
    expect(form.status).toBe(200);
    expect(form.headers.get("x-frame-options")).toBe("DENY");
    expect(form.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await form.text();
    expect(html).toContain('name="username"');
    expect(html).toContain('type="password"');
    expect(html).toContain('name="next" value="/queues"');

    const res = await postSignIn(h, CREDS.user, CREDS.password);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console");
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^sy_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain("Max-Age=43200");
    expect(setCookie).not.toContain("Secure");
    const cookie = sessionCookie(res);
    // Only the id's hash is stored.
    const rows = await h.dbHandle.db.select().from(schema.consoleSessions);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.idHash).not.toBe(cookie.slice("sy_session=".length));

    const browser = asBrowser(h, cookie);
    const overview = await (await browser("/console")).text();
    expect(overview).toContain(`data-testid="signed-in-as">${CREDS.user} (admin)</span>`);
    expect(overview).toContain('action="/console/logout"');
    for (const path of [
      "/console",
      "/console/failures",
      "/queues",
      "/queues/queue/crm-sync",
      "/queues/api/queues",
      "/api/failures",
    ]) {
      expect((await browser(path)).status, path).toBe(200);
    }
  });

  it("marks the cookie Secure when the browser came over https (directly or through a TLS proxy)", async () => {
    const res = await postSignIn(h, CREDS.user, CREDS.password, { "x-forwarded-proto": "https" });
    expect(res.headers.get("set-cookie")).toContain("Secure");
  });

  it("refuses the cookie after logout and after its expiry", async () => {
    const cookie = await signInAs(h, CREDS.user, CREDS.password);
    const browser = asBrowser(h, cookie);
    expect((await browser("/console")).status).toBe(200);
    const out = await browser("/console/logout", { method: "POST" });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/console/login?flash=Signed%20out.");
    expect(out.headers.get("set-cookie")).toMatch(/^sy_session=;.*Max-Age=0/);
    // The old cookie, replayed by someone who kept it, opens nothing.
    expect((await browser("/console")).status).toBe(303);
    expect((await browser("/api/failures")).status).toBe(401);
    expect((await browser("/queues/api/queues")).status).toBe(401);

    const later = await signInAs(h, CREDS.user, CREDS.password);
    expect((await asBrowser(h, later)("/console")).status).toBe(200);
    // 12 hours on (the default ADMIN_SESSION_TTL_MS): the row's expiry has passed.
    await h.dbHandle.db.update(schema.consoleSessions).set({ expiresAt: new Date(Date.now() - 1_000) });
    expect((await asBrowser(h, later)("/console")).status).toBe(303);
    expect((await asBrowser(h, later)("/api/failures")).status).toBe(401);
  });

  it("refuses a cross-site write that carries the cookie, and one that says nothing about where it came from", async () => {
    const f = await h.park({ reason: "crm_timeout", jobId: "cross-site-1" });
    const cookie = await signInAs(h, CREDS.user, CREDS.password);
    const before = (await h.audit()).length;
    const attempts = [
      { path: "/console/retry-all", headers: { "sec-fetch-site": "cross-site", origin: "http://evil.test" } },
      { path: `/console/failures/${f.id}/retry`, headers: { origin: "http://evil.test" } },
      { path: "/api/failures/retry-all", headers: { "sec-fetch-site": "cross-site", origin: "http://evil.test" } },
      { path: `/api/failures/${f.id}/retry`, headers: {} },
      { path: "/queues/api/queues/failed.crm_timeout/retry/failed", headers: { "sec-fetch-site": "same-site" } },
    ];
    for (const a of attempts) {
      const res = await h.app.request(`${ORIGIN}${a.path}`, {
        method: a.path.startsWith("/queues") ? "PUT" : "POST",
        body: a.path.startsWith("/api")
          ? JSON.stringify({ reason: "crm_timeout", confirm: true })
          : "reason=crm_timeout",
        headers: {
          cookie,
          "content-type": a.path.startsWith("/api") ? "application/json" : "application/x-www-form-urlencoded",
          ...a.headers,
        },
      });
      expect(res.status, a.path).toBe(403);
    }
    expect((await h.audit()).length).toBe(before);
    const [row] = await h.dbHandle.db.select().from(schema.failures).where(eq(schema.failures.id, f.id));
    expect(row?.status).toBe("open");
  });

  it("answers 20 wrong passwords alike for a real and a made-up name, delays the 21st, then lets the right one in", async () => {
    await saveAccount(h.dbHandle.db, { name: "dana", role: "viewer", password: "dana-password-4821" });
    const answers = async (name: string) => {
      const seen: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await postSignIn(h, name, `wrong-${i}`);
        seen.push(
          `${res.status} ${res.headers.get("set-cookie") ?? ""} ${(await res.text()).replace(`value="${name}"`, "")}`,
        );
      }
      return seen;
    };
    // Both names at once (each in a row): a sign-in costs one scrypt, and 40 of them one after another are slow.
    const [real, made] = await Promise.all([answers("dana"), answers("nobody-here")]);
    expect(new Set(real).size).toBe(1);
    expect(real[0]).toMatch(/^401 {2}.*Wrong username or password\./s);
    // A made-up name is answered the same way: nothing tells whether the account exists.
    expect(made).toEqual(real);

    // The 21st, even with the right password, waits; the answer says how long.
    const delayed = await postSignIn(h, "dana", "dana-password-4821");
    expect(delayed.status).toBe(429);
    const wait = Number(delayed.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(delayed.headers.get("set-cookie")).toBeNull();
    expect(await delayed.text()).toContain("Too many failed sign-ins");
    const other = await postSignIn(h, "nobody-here", "x");
    expect(other.status).toBe(429);

    await sleep(wait * 1_000 + 100);
    // Dana's wait was set by her 20th failure; by now it has run out.
    const ok = await postSignIn(h, "dana", "dana-password-4821");
    expect(ok.status).toBe(303);
    expect((await asBrowser(h, sessionCookie(ok))("/console")).status).toBe(200);
    // A success clears the name's count: the next wrong password is answered at once again.
    expect((await postSignIn(h, "dana", "wrong-again")).status).toBe(401);
  });

  it("never follows a next= off the console or Bull Board", async () => {
    for (const next of ["https://evil.test/", "//evil.test/console", "/api/failures", "/console/login"]) {
      const res = await h.app.request(`${ORIGIN}/console/login`, {
        method: "POST",
        body: new URLSearchParams({ username: CREDS.user, password: CREDS.password, next }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
      });
      expect(res.headers.get("location"), next).toBe("/console");
    }
  });
  it("answers a sign-in and a session's request 503 with Retry-After while Postgres is away", async () => {
    const dead = await createDb({ databaseUrl: `postgres://postgres@127.0.0.1:${await freePort()}/gone` });
    const redis = createRedis(TEST_REDIS_URL, "producer");
    const app = newAdminApp({
      config: h.config,
      db: dead.db,
      registry: h.registry,
      dispatcher: createDispatcher({ db: dead.db, registry: h.registry }),
      logger: createLogger({ name: "dead-db", level: "error", write: () => {} }),
      redis,
      credentials: CREDS,
    });
    try {
      const signIn = await app.request(`${ORIGIN}/console/login`, {
        method: "POST",
        body: new URLSearchParams({ username: CREDS.user, password: CREDS.password }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
      });
      expect(signIn.status).toBe(503);
      expect(signIn.headers.get("retry-after")).toBe("5");
      const session = await app.request(`${ORIGIN}/api/failures`, { headers: { cookie: "sy_session=abc" } });
      expect(session.status).toBe(503);
      expect(session.headers.get("retry-after")).toBe("5");
      expect(((await session.json()) as { error: { code: string } }).error.code).toBe("unavailable");
    } finally {
      redis.disconnect();
      await dead.close();
    }
  });
});
