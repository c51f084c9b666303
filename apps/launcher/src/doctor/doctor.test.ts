import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, runMigrations } from "@switchyard/db";
import { pingRedis } from "@switchyard/queue";
import { createTestDatabase, FakeStripe, freePort, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runDoctor } from "./doctor.ts";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const ADMIN_TOKEN = "doctor-test-admin-token-0123456789abcdef";
const TEST_KEY = "sk_test_doctor_0123456789";

/** A private redis-server on a spare port, started with these arguments (a config file first, if any). */
async function redisServer(args: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn("redis-server", [...args, "--port", String(port), "--bind", "127.0.0.1"], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  for (
    let i = 0;
    !(await pingRedis(url).then(
      () => true,
      () => false,
    ));
    i++
  ) {
    if (i > 100) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** What a container of the compose file sees: .env.example's values, compose's defaults, the image's NODE_ENV. */
function composeEnv(overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, ".env.example"), "utf8").split("\n")) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2];
  }
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")) as {
    "x-switchyard": { environment: Record<string, string> };
  };
  // `${VAR:-default}` with VAR unset in .env: the default.
  for (const [k, v] of Object.entries(compose["x-switchyard"].environment))
    env[k] = v.replace(/\$\{[A-Z_]+:-([^${}]*)\}/g, "$1").replace(/\$\{[A-Z_]+:-([^${}]*)\}/g, "$1");
  const dockerfile = readFileSync(join(ROOT, "infra/Dockerfile"), "utf8");
  expect(dockerfile).toContain("ENV NODE_ENV=production");
  return { ...env, NODE_ENV: "production", ...overrides };
}

describe("./sy doctor", () => {
  let db: TestDatabase;
  let lru: Awaited<ReturnType<typeof redisServer>>;
  let composed: Awaited<ReturnType<typeof redisServer>>;
  let stripe: FakeStripe;
  const dir = mkdtempSync(join(tmpdir(), "sy-doctor-"));
  beforeAll(async () => {
    db = await createTestDatabase("doctor");
    const handle = await createDb({ databaseUrl: db.url });
    await runMigrations(handle);
    await handle.close();
    stripe = await FakeStripe.start({ secretKey: TEST_KEY });
    lru = await redisServer(["--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"]);
    // Compose's own Redis flags: infra/redis.conf as compose mounts it, its `dir` (the container's
    // /data volume, which Redis must find at start) pointed at this test's folder.
    const conf = readFileSync(join(ROOT, "infra/redis.conf"), "utf8");
    expect(conf).toMatch(/^dir \/data$/m);
    writeFileSync(join(dir, "redis.conf"), conf.replace(/^dir \/data$/m, `dir ${dir}`));
    composed = await redisServer([join(dir, "redis.conf")]);
  });
  afterAll(async () => {
    await lru?.stop();
    await composed?.stop();
    await stripe?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with Redis on allkeys-lru and a test Stripe key under NODE_ENV=production, exits 1 naming both with the fix", async () => {
    // In process: what `./sy doctor` prints (doctor.ts writes report.text) and exits with (report.code).
    const report = await runDoctor({
      NODE_ENV: "production",
      REDIS_URL: lru.url,
      DATABASE_URL: db.url,
      ADMIN_TOKEN,
      STRIPE_SECRET_KEY: TEST_KEY,
      STRIPE_API_BASE: stripe.url,
      HUBSPOT_CLIENT_SECRET: "hubspot-doctor-secret",
    });
    const r = { code: report.code, stdout: report.text };
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^fail {2}Redis maxmemory-policy is allkeys-lru: .*\n {6}fix: set maxmemory-policy noeviction/m,
    );
    expect(r.stdout).toMatch(
      /^fail {2}STRIPE_SECRET_KEY is a test-mode key \(sk_test_…\) under NODE_ENV=production\n {6}fix: use the live key/m,
    );
    expect(r.stdout).toMatch(/^fail {2}HubSpot is configured without INGEST_PUBLIC_URL/m);
    expect(r.stdout).toMatch(/^warn {2}Redis AOF is off/m);
    // The key itself reached Stripe (one read) and is named nowhere in the output.
    expect(r.stdout).toMatch(/^ok {4}Stripe answers with STRIPE_SECRET_KEY/m);
    expect(r.stdout).not.toContain(TEST_KEY);
    expect(r.stdout).toMatch(/^ {8}URL: http:\/\/<this host>:3000\/webhooks\/hubspot$/m);
    expect(r.stdout).toMatch(/\d failing, \d warning\(s\): not ready to launch\.\n$/);
  });

  it("on the docker compose configuration (its Redis flags, its env, secrets filled in) it passes", async () => {
    const report = await runDoctor(
      composeEnv({
        REDIS_URL: composed.url,
        DATABASE_URL: db.url,
        ADMIN_TOKEN,
        STRIPE_WEBHOOK_SECRET: "whsec_doctor_compose_0123456789",
        INGEST_PUBLIC_URL: "https://hooks.example.com",
      }),
    );
    expect(
      report.checks.filter((c) => c.status === "fail"),
      report.text,
    ).toEqual([]);
    expect(report.code).toBe(0);
    expect(report.text).toMatch(/^ok {4}Redis maxmemory-policy is noeviction$/m);
    expect(report.text).toMatch(/^ok {4}Redis append-only file \(AOF\) is on$/m);
    expect(report.text).toMatch(/^ok {4}every migration is applied$/m);
    // The URL to paste into Stripe's dashboard and the types to subscribe to, from the routing table.
    expect(report.text).toContain("URL: https://hooks.example.com/webhooks/stripe");
    expect(report.text).toMatch(/subscribe to: checkout\.session\.completed, .*invoice\.paid/);
    expect(report.text).toMatch(/No failures.*: ready to launch\.\n$/);
  });

  it("fails on admin credentials left at a placeholder and on unapplied migrations", async () => {
    const fresh = await createTestDatabase("doctor_fresh");
    try {
      const report = await runDoctor(
        composeEnv({
          REDIS_URL: composed.url,
          DATABASE_URL: fresh.url,
          ADMIN_USER: "admin",
          ADMIN_PASSWORD: "changeme-please",
        }),
      );
      expect(report.code).toBe(1);
      expect(report.text).toMatch(/^fail {2}ADMIN_PASSWORD is a placeholder or default value/m);
      expect(report.text).toMatch(/^fail {2}\d+ migration\(s\) not applied .*\n {6}fix: run \.\/sy migrate/m);
    } finally {
      await fresh.drop();
    }
  });
});
