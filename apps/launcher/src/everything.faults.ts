import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  appEventRequest,
  freePort,
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
} from "@switchyard/testkit";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { type Proc, run } from "./testing/processes.ts";

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KEY = "sy_faults_key_0123456789";
const SIGNUPS = 7_000;
const SUPPORT = 1_000;
const REDELIVERIES = 2_000;
const CONCURRENCY = 32;

/** Deterministic shuffle, so a failing run can be repeated as it was. */
function shuffle<T>(items: T[], seed = 42): T[] {
  let s = seed;
  const rand = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** What is stuck where, for a failure message that says more than a count. */
async function diagnose(sql: postgres.Sql, procs: Proc[] = []): Promise<string> {
  const states = await sql`select status, queues, count(*)::int as n from events group by 1, 2 order by 3 desc`;
  const deliveries = await sql`select consumer, status, count(*)::int as n from deliveries group by 1, 2`;
  const failures =
    await sql`select reason, status, count(*)::int as n, min(last_error) as sample from failures group by 1, 2`;
  const tails = procs.map((p) => p.output().split("\n").slice(-6).join("\n"));
  return `${JSON.stringify({ states, deliveries, failures }, null, 1)}\n${tails.join("\n---\n")}`;
}

describe("fault suite", () => {
  let redis: RedisServer | undefined;
  let pg: PostgresServer | undefined;
  const procs: Proc[] = [];
  const aofDir = mkdtempSync(join(tmpdir(), "sy-aof-"));
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await redis?.stop();
    await pg?.destroy();
    rmSync(aofDir, { recursive: true, force: true });
  });

  it("10,000 events with 20% re-deliveries survive a Redis restart, a SIGKILLed worker and a Postgres restart", async () => {
    redis = await startRedisServer({ dir: aofDir });
    pg = await startPostgresServer();
    const port = await freePort();
    const env = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: "faults",
      APP_API_KEYS: KEY,
      INGEST_PORT: String(port),
      RELAY_INTERVAL_MS: "500",
      RELAY_GRACE_MS: "2000",
      WORKER_LOCK_MS: "3000",
      WORKER_CONCURRENCY: "20",
      RETRY_BACKOFF_MS: "200",
      RETRY_ATTEMPTS: "20",
      LOG_LEVEL: "error",
    };
    const migrate = run(entry("./migrate.ts"), env);
    const [code] = await once(migrate.child, "exit");
    expect(code, migrate.output()).toBe(0);

    const start = (script: string) => {
      const p = run(entry(script), { ...env, LOG_LEVEL: "info" });
      procs.push(p);
      return p;
    };
    const ingest = start("../../ingest/src/main.ts");
    let crm = start("../../crm-sync/src/main.ts");
    const others = [start("../../support-context/src/main.ts"), start("../../ai-triage/src/main.ts")];
    await Promise.all([
      ingest.waitFor("ingest listening"),
      crm.waitFor("worker started"),
      ...others.map((p) => p.waitFor("worker started")),
    ]);

    // 8,000 distinct events, then 2,000 of them again, all in one shuffled stream.
    const originals = [
      ...Array.from({ length: SIGNUPS }, (_, i) => ({
        key: `signup-${i}`,
        payload: { type: "user.signed_up", data: { userId: `u-${i}`, email: `u${i}@example.com` } },
      })),
      ...Array.from({ length: SUPPORT }, (_, i) => ({
        key: `support-${i}`,
        payload: {
          type: "support.requested",
          data: { userId: `u-${i}`, subject: `Question ${i}`, message: "How do I export my data?" },
        },
      })),
    ];
    const stream = shuffle([...originals, ...shuffle(originals, 7).slice(0, REDELIVERIES)]);

    const accepted = new Map<string, string>();
    let sent = 0;
    let retried = 0;
    const faults: string[] = [];
    const url = `http://127.0.0.1:${port}/v1/events`;
    async function deliver(item: (typeof originals)[number]) {
      const req = appEventRequest({ payload: item.payload, apiKey: KEY, idempotencyKey: item.key });
      // Like a provider: retry 5xx and refused connections until the event is accepted.
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(url, {
            method: "POST",
            body: req.body,
            headers: req.headers,
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status === 202 || res.status === 200) {
            accepted.set(item.key, ((await res.json()) as { eventId: string }).eventId);
            return;
          }
          if (res.status < 500) throw new Error(`${item.key} answered ${res.status}: ${await res.text()}`);
          await res.body?.cancel();
        } catch (err) {
          if (err instanceof Error && err.message.includes("answered 4")) throw err;
        }
        retried++;
        if (attempt > 300) throw new Error(`${item.key} never accepted`);
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }

    const faultAt = new Map<number, () => Promise<void>>([
      [
        2_000,
        async () => {
          faults.push("redis restart");
          await redis?.stop();
          await new Promise((r) => setTimeout(r, 1_000));
          await redis?.start();
        },
      ],
      [
        5_000,
        async () => {
          faults.push("crm-sync SIGKILL");
          crm.child.kill("SIGKILL");
          await new Promise((r) => setTimeout(r, 1_000));
          crm = start("../../crm-sync/src/main.ts");
        },
      ],
      [
        7_500,
        async () => {
          faults.push("postgres restart");
          await pg?.kill();
          await new Promise((r) => setTimeout(r, 1_000));
          await pg?.start();
        },
      ],
    ]);
    const pendingFaults: Promise<void>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < stream.length) {
          const item = stream[next++];
          if (!item) break;
          const fault = faultAt.get(++sent);
          if (fault) pendingFaults.push(fault());
          await deliver(item);
        }
      }),
    );
    await Promise.all(pendingFaults);

    const sql = postgres(pg.url, { max: 2, onnotice: () => {} });
    try {
      const deadline = Date.now() + 180_000;
      let quiet = 0;
      while (quiet < 3) {
        const [open] = await sql`select count(*)::int as n from events where status not in ('processed', 'rejected')`;
        quiet = open?.n === 0 ? quiet + 1 : 0;
        if (Date.now() > deadline) throw new Error(`events still open: ${open?.n}\n${await diagnose(sql, procs)}`);
        await new Promise((r) => setTimeout(r, 500));
      }

      expect(faults).toEqual(["redis restart", "crm-sync SIGKILL", "postgres restart"]);
      expect(accepted.size).toBe(originals.length);
      const [events] = await sql`select count(*)::int as n, sum(duplicates)::int as dups from events`;
      expect(events?.n).toBe(originals.length);
      expect(events?.dups).toBeGreaterThanOrEqual(REDELIVERIES);
      const ids = await sql`select id from events where status = 'processed'`;
      expect(new Set(ids.map((r) => r.id))).toEqual(new Set(accepted.values()));
      const [contacts] =
        await sql`select count(*)::int as n, count(distinct customer_id)::int as customers, max(writes)::int as max_writes from crm_contacts`;
      const [customers] = await sql`select count(*)::int as n from customers`;
      expect(contacts).toEqual({ n: SIGNUPS, customers: SIGNUPS, max_writes: 1 });
      expect(customers?.n).toBe(SIGNUPS);
      // Every ticket has its context; a second note only where the context changed while the first
      // was written (support-context corrects it), never the same context twice. A note's first
      // line is its timestamp.
      const [tickets] = await sql`select count(distinct ticket_id)::int as n from support_notes where kind = 'context'`;
      expect(tickets?.n).toBe(SUPPORT);
      const notes = await sql`
        select ticket_id, count(*)::int as n from support_notes where kind = 'context'
        group by ticket_id, regexp_replace(body, '^[^\n]*\n', '')`;
      expect(notes.every((r) => r.n === 1)).toBe(true);
      const [open] = await sql`select count(*)::int as n from deliveries where status <> 'completed'`;
      expect(open?.n).toBe(0);
      const [failures] = await sql`select count(*)::int as n from failures where status = 'open'`;
      expect(failures?.n).toBe(0);
      process.stdout.write(
        `fault suite: ${stream.length} requests (${retried} client retries), ${accepted.size} events, faults: ${faults.join(", ")}\n`,
      );
    } finally {
      await sql.end();
    }
  });
});
