import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { appEventRequest, createTestDatabase, freePort, type TestDatabase } from "@switchyard/testkit";
import postgres from "postgres";
import { type Proc, run } from "./processes.ts";

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const KEY = "sy_failover_key_0123456789";
const WORKERS = ["crm-sync", "billing-sync", "support-context", "ai-triage"] as const;

export interface FailoverPlan {
  /** Redis variables: REDIS_CLUSTER_NODES, or REDIS_SENTINELS + REDIS_SENTINEL_MASTER. */
  redisEnv: Record<string, string>;
  signups: number;
  support: number;
  /** Re-deliveries of events already sent, mixed into the stream. */
  redeliveries: number;
  /** The fault, run once this many requests have been sent; resolves when the master is dead. */
  faultAfter: number;
  fault: () => Promise<void>;
  /** Resolves once a replica has been promoted (the topology says so), for the figures. */
  promoted: () => Promise<void>;
}

export interface FailoverResult {
  procs: Proc[];
  sql: postgres.Sql;
  db: TestDatabase;
  accepted: Map<string, string>;
  requests: number;
  /** 503 answers (each with Retry-After), and how many lacked the header. */
  unavailable: number;
  withoutRetryAfter: number;
  otherErrors: string[];
  /** Kill to the replica's promotion, and kill to the last 503, in ms. */
  promotionMs: number;
  lastUnavailableMs: number;
  /** /readyz of the first ingest, polled: did it fail after the kill, and answer 200 at the end. */
  readyFailed: boolean;
  readyAtEnd: number;
  /** Events still open once the deadline passed (0 on success). */
  open: number;
  drainMs: number;
  stop(): Promise<void>;
}

/** Deterministic shuffle, so a failing run can be repeated as it was. */
function shuffle<T>(items: T[], seed: number): T[] {
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

/**
 * Switchyard as separate processes (migrate, 2 ingest, 2 of each worker, admin) on the given
 * Redis, a stream of signed events across both ingest replicas with a fault in the middle, then
 * the wait for every accepted event to be processed. The caller asserts on what it returns.
 */
export async function failoverRun(plan: FailoverPlan): Promise<FailoverResult> {
  const db = await createTestDatabase("failover");
  const procs: Proc[] = [];
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const stop = async () => {
    await Promise.all(
      procs.map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        const exited = once(p.child, "exit");
        p.child.kill("SIGKILL");
        await exited;
      }),
    );
    await sql.end().catch(() => {});
    await db.drop().catch(() => {});
  };
  try {
    const ingestPorts = [await freePort(), await freePort()];
    const env = {
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: "3",
      QUEUE_PREFIX: "failover",
      APP_API_KEYS: KEY,
      ADMIN_TOKEN: "sy_failover_admin_token_0123456789",
      RELAY_INTERVAL_MS: "500",
      RELAY_GRACE_MS: "2000",
      // A job the dead master had taken but not replicated is looked for again this soon.
      RELAY_RECHECK_AFTER_MS: "8000",
      WORKER_LOCK_MS: "5000",
      WORKER_CONCURRENCY: "20",
      RETRY_BACKOFF_MS: "200",
      RETRY_ATTEMPTS: "20",
      METRICS_PUBLISH_MS: "2000",
      ...plan.redisEnv,
    };
    const migrate = run(entry("../migrate.ts"), { ...env, LOG_LEVEL: "error" });
    const [code] = await once(migrate.child, "exit");
    if (code !== 0) throw new Error(`migrate failed: ${migrate.output()}`);
    const start = (script: string, extra: Record<string, string> = {}) => {
      const p = run(entry(script), { ...env, ...extra });
      procs.push(p);
      return p;
    };
    const ingests = ingestPorts.map((port) => start("../../../ingest/src/main.ts", { INGEST_PORT: String(port) }));
    const workers = WORKERS.flatMap((w) => [start(`../../../${w}/src/main.ts`), start(`../../../${w}/src/main.ts`)]);
    const admin = start("../../../admin/src/main.ts", { ADMIN_PORT: String(await freePort()) });
    await Promise.all([
      ...ingests.map((p) => p.waitFor("ingest listening", 60_000)),
      ...workers.map((p) => p.waitFor("worker started", 60_000)),
      admin.waitFor("admin listening", 60_000),
    ]);

    const originals = [
      ...Array.from({ length: plan.signups }, (_, i) => ({
        key: `signup-${i}`,
        payload: { type: "user.signed_up", data: { userId: `u-${i}`, email: `u${i}@example.com` } },
      })),
      ...Array.from({ length: plan.support }, (_, i) => ({
        key: `support-${i}`,
        payload: {
          type: "support.requested",
          data: { userId: `u-${i}`, subject: `Question ${i}`, message: "How do I export my data?" },
        },
      })),
    ];
    const stream = shuffle([...originals, ...shuffle(originals, 7).slice(0, plan.redeliveries)], 42);
    const accepted = new Map<string, string>();
    const otherErrors: string[] = [];
    let unavailable = 0;
    let withoutRetryAfter = 0;
    let killedAt = 0;
    let lastUnavailable = 0;
    let requests = 0;
    async function deliver(item: (typeof originals)[number], n: number) {
      const req = appEventRequest({ payload: item.payload, apiKey: KEY, idempotencyKey: item.key });
      // Like a provider: retry 5xx and refused connections until the event is accepted.
      for (let attempt = 0; attempt < 400; attempt++) {
        const url = `http://127.0.0.1:${ingestPorts[(n + attempt) % 2]}/v1/events`;
        requests++;
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
          const body = await res.text();
          if (res.status === 503) {
            unavailable++;
            if (!res.headers.get("retry-after")) withoutRetryAfter++;
            if (killedAt) lastUnavailable = Date.now();
          } else otherErrors.push(`${res.status} ${body.slice(0, 200)}`);
        } catch (err) {
          otherErrors.push(`fetch: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
      throw new Error(`${item.key} never accepted`);
    }

    let readyFailed = false;
    let polling = true;
    const readyUrl = `http://127.0.0.1:${ingestPorts[0]}/readyz`;
    const poller = (async () => {
      while (polling) {
        const status = await fetch(readyUrl, { signal: AbortSignal.timeout(3_000) })
          .then((r) => r.status)
          .catch(() => 0);
        if (killedAt && status !== 200) readyFailed = true;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    let promotionMs = 0;
    let faulted: Promise<void> | undefined;
    let next = 0;
    let sent = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < stream.length) {
          const n = next++;
          const item = stream[n];
          if (!item) break;
          if (++sent === plan.faultAfter) {
            faulted = plan.fault().then(async () => {
              killedAt = Date.now();
              await plan.promoted();
              promotionMs = Date.now() - killedAt;
            });
          }
          await deliver(item, n);
        }
      }),
    );
    await faulted;

    const drainStart = Date.now();
    let open = 0;
    for (let quiet = 0; quiet < 3 && Date.now() - drainStart < 120_000; ) {
      const [row] = await sql`select count(*)::int as n from events where status not in ('processed', 'rejected')`;
      open = row?.n ?? 0;
      quiet = open === 0 ? quiet + 1 : 0;
      await new Promise((r) => setTimeout(r, 500));
    }
    polling = false;
    await poller;
    const readyAtEnd = await fetch(readyUrl).then((r) => r.status);
    return {
      procs,
      sql,
      db,
      accepted,
      requests,
      unavailable,
      withoutRetryAfter,
      otherErrors,
      promotionMs,
      lastUnavailableMs: lastUnavailable ? lastUnavailable - killedAt : 0,
      readyFailed,
      readyAtEnd,
      open,
      drainMs: Date.now() - drainStart,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The assertions both runs share, as one object to compare: see the fault files. */
export async function outcomeOf(r: FailoverResult) {
  const [events] = await r.sql`select count(*)::int as n, sum(duplicates)::int as dups from events`;
  const processed = await r.sql`select id from events where status = 'processed'`;
  const processedIds = new Set(processed.map((row) => row.id as string));
  const [contacts] =
    await r.sql`select count(*)::int as n, count(distinct customer_id)::int as customers, max(writes)::int as max_writes from crm_contacts`;
  // A ticket may get a second note when the customer's context changed while the first was
  // written (support-context corrects it); the same context written twice is a duplicate. The
  // first line of a note is its timestamp.
  const notes = await r.sql`
    select ticket_id, count(*)::int as n from support_notes where kind = 'context'
    group by ticket_id, regexp_replace(body, '^[^\n]*\n', '')`;
  const [tickets] = await r.sql`
    select count(distinct ticket_id)::int as n, count(*)::int as notes from support_notes where kind = 'context'`;
  const [undone] = await r.sql`select count(*)::int as n from deliveries where status <> 'completed'`;
  const [failures] = await r.sql`select count(*)::int as n from failures where status = 'open'`;
  return {
    events: events?.n as number,
    duplicates: events?.dups as number,
    everyAcceptedProcessed: [...r.accepted.values()].every((id) => processedIds.has(id)),
    processed: processedIds.size,
    contacts,
    supportNotes: tickets?.n as number,
    notesDoubled: notes.filter((n) => n.n !== 1).length,
    /** Notes beyond one per ticket: contexts corrected while their first note was written. */
    notesCorrected: (tickets?.notes as number) - (tickets?.n as number),
    undoneDeliveries: undone?.n as number,
    openFailures: failures?.n as number,
  };
}

/** The loudest process's error-ish lines, and whether MOVED or ASK ever reached a log. */
export function logFigures(procs: Proc[]) {
  const lines = procs.map((p) => p.output().split("\n"));
  const moved = lines.flat().filter((l) => /\b(MOVED|ASK) \d+/.test(l));
  // What the relays added after the fault: events recorded while no master answered.
  const relayed = lines
    .flat()
    .filter((l) => l.includes('"msg":"relay enqueued recorded events"') || l.includes("relay re-enqueued"))
    .reduce((sum, l) => sum + Number(/"count":(\d+)/.exec(l)?.[1] ?? 0), 0);
  return {
    relayed,
    movedOrAsk: moved.length,
    movedSample: moved.slice(0, 3).map((l) => l.slice(0, 400)),
    maxErrorLines: Math.max(...lines.map((ls) => ls.filter((l) => /"level":(50|"error")/.test(l)).length)),
  };
}
