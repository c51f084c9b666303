// The workers beside a bare durable worker of the same effects (bare-worker.ts): interleaved
// rounds of one crm-sync process and one bare process each draining the same backlog of signups,
// and then, for every worker role, one counted drain through a relay that counts statements and
// round trips on the wire (pg-counter.ts), with the database's own commit count beside it.
import { randomUUID } from "node:crypto";
import { checkoutCompleted, deleteKeysWithPrefix, invoicePaid, signStripe } from "@switchyard/testkit";
import { type Made, median, saturate, signup, sleep } from "../load.ts";
import { startPgCounter } from "../pg-counter.ts";
import { peakRssMb, rssMb, type Started, stop } from "../processes.ts";
import type { DrainRound, PairRounds, WorkerCounts, Workers } from "../report.ts";
import { repoPath } from "../settings.ts";
import type { Context } from "./context.ts";

type Role = "crm-sync" | "bare" | "billing-sync" | "bare-billing" | "support-context" | "bare-support";

const BARE = "apps/bench/src/bare-worker.ts";
const SCRIPTS: Record<Role, string> = {
  "crm-sync": "apps/crm-sync/src/main.ts",
  bare: BARE,
  "billing-sync": "apps/billing-sync/src/main.ts",
  "bare-billing": BARE,
  "support-context": "apps/support-context/src/main.ts",
  "bare-support": BARE,
};

/** The bare worker's BARE_ROLE: whose jobs and effects it stands in for. */
const BARE_ROLE: Partial<Record<Role, string>> = {
  bare: "crm-sync",
  "bare-billing": "billing-sync",
  "bare-support": "support-context",
};

function startRole(ctx: Context, role: Role, databaseUrl = ctx.run.databaseUrl): Started {
  const bareRole = BARE_ROLE[role];
  const name = bareRole ? `bare durable worker${role === "bare" ? "" : ` (${bareRole})`}` : `${role} worker`;
  return ctx.run.processes.start(name, repoPath(SCRIPTS[role]), {
    env: { ...ctx.run.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "warn", ...(bareRole ? { BARE_ROLE: bareRole } : {}) },
    nodeFlags: ctx.settings.nodeFlags.worker,
    worker: true,
  });
}

/** Until the process is up: the bare worker says so; a Switchyard worker is silent at warn, so a pause. */
async function up(started: Started, role: Role): Promise<void> {
  if (BARE_ROLE[role]) await started.ready("bare worker started");
  else await sleep(1_500);
}

/** Jobs of the role's kind not done yet, and how to make one. */
const SIGNUPS_PENDING = `select count(*)::int as n from events where type = 'app.user.signed_up' and status <> 'processed'`;
const STRIPE_PENDING = `select count(*)::int as n from events where source = 'stripe' and status <> 'processed'`;
// ai-triage does not run here, so the events stay unsettled: the deliveries say what is done.
const SUPPORT_PENDING = `select (select count(*) from events where type = 'app.support.requested')::int
    - (select count(*) from deliveries where consumer = 'support-context/app.support.requested'
       and status = 'completed')::int as n`;
const PENDING: Record<Role, string> = {
  "crm-sync": SIGNUPS_PENDING,
  bare: SIGNUPS_PENDING,
  "billing-sync": STRIPE_PENDING,
  "bare-billing": STRIPE_PENDING,
  "support-context": SUPPORT_PENDING,
  "bare-support": SUPPORT_PENDING,
};

const pending = async (ctx: Context, role: Role) => Number((await ctx.run.sql.unsafe(PENDING[role]))[0]?.n ?? 0);

/** One process drains a backlog of `jobs`: the rate from the `untimed`th job on, and its RSS after. */
async function drainRound(
  ctx: Context,
  role: Role,
  jobs: number,
  enqueue: (jobs: number) => Promise<unknown> = (n) =>
    saturate(`${ctx.ingestUrl}/v1/events`, signup(ctx.run.appKey), { connections: 64, amount: n }),
): Promise<DrainRound> {
  const s = ctx.settings;
  await enqueue(jobs);
  const t0 = Date.now();
  const worker = startRole(ctx, role);
  let left = jobs;
  while (left > jobs - s.untimedJobs) {
    await sleep(20);
    left = await pending(ctx, role);
  }
  const t1 = Date.now();
  while ((await pending(ctx, role)) > 0) await sleep(50);
  const t2 = Date.now();
  const rssAfterMb = rssMb(worker.child);
  const peak = peakRssMb(worker.child);
  await stop(worker.child);
  return {
    peakRssMb: peak,
    backlog: jobs,
    seconds: Number(((t2 - t0) / 1000).toFixed(1)),
    timedJobs: left,
    jobsPerSecond: Math.round(left / ((t2 - t1) / 1000)),
    rssAfterMb,
  };
}

const commits = async (ctx: Context) => {
  await ctx.run.sql`select pg_stat_clear_snapshot()`;
  const [row] = await ctx.run
    .sql`select xact_commit::float8 as n from pg_stat_database where datname = current_database()`;
  return Number(row?.n ?? 0);
};

function stripeEvents(ctx: Context, jobs: number): { checkouts: () => Made; invoices: () => Made } {
  const ids = Array.from({ length: jobs }, () => randomUUID().slice(0, 18));
  let c = 0;
  let i = 0;
  const signed = (payload: unknown) => signStripe({ payload, secret: ctx.run.secret });
  return {
    checkouts: () => {
      const id = ids[c++ % jobs];
      return signed(checkoutCompleted({ customer: `cus_${id}`, userId: `u_${id}`, email: `${id}@bench.example.com` }));
    },
    invoices: () => signed(invoicePaid({ customer: `cus_${ids[i++ % jobs]}` })),
  };
}

const support = (appKey: string) => (): Made => {
  const userId = randomUUID();
  return {
    body: JSON.stringify({
      type: "support.requested",
      data: {
        userId,
        email: `${userId}@bench.example.com`,
        subject: "Invoice question",
        message: "Where is my invoice?",
      },
    }),
    headers: { "content-type": "application/json", authorization: `Bearer ${appKey}`, "idempotency-key": userId },
  };
};

/** A counted drain: which process, what its row is called, and how its jobs are made (their count). */
interface Batch {
  role: Role;
  label: string;
  enqueue: () => Promise<number>;
}

/** Stripe events through the webhook endpoint, with no worker running. */
async function enqueueStripe(ctx: Context, make: () => Made, jobs: number): Promise<number> {
  // The saturated rounds left tens of thousands of invoices for billing-sync, which never ran:
  // set aside (settled, their jobs dropped, so the relay does not add them again), they are not
  // the jobs counted.
  await ctx.run.sql`update events set status = 'processed' where source = 'stripe' and status <> 'processed'`;
  await deleteKeysWithPrefix(`${ctx.run.prefix}:billing-sync`);
  await saturate(`${ctx.ingestUrl}/webhooks/stripe`, make, { connections: 16, amount: jobs });
  return jobs;
}

/** Every role's counted drains; billing-sync's two: customers created, then those customers' invoices. */
function batches(ctx: Context, jobs: number): Batch[] {
  const app = (role: Role) => async () => {
    // billing-sync's drains left a customer.changed follow-up for support-context per billing
    // change: dropped, so the jobs counted are the support requests alone.
    if (role === "support-context") await deleteKeysWithPrefix(`${ctx.run.prefix}:support-context`);
    await saturate(
      `${ctx.ingestUrl}/v1/events`,
      role === "support-context" ? support(ctx.run.appKey) : signup(ctx.run.appKey),
      { connections: 16, amount: jobs },
    );
    return jobs;
  };
  const stripe = stripeEvents(ctx, jobs);
  return [
    { role: "crm-sync", label: "crm-sync", enqueue: app("crm-sync") },
    { role: "bare", label: "bare", enqueue: app("bare") },
    {
      role: "billing-sync",
      label: "billing-sync, checkouts each creating its customer",
      enqueue: () => enqueueStripe(ctx, stripe.checkouts, jobs),
    },
    {
      role: "billing-sync",
      label: "billing-sync, invoices of those customers",
      enqueue: () => enqueueStripe(ctx, stripe.invoices, jobs),
    },
    { role: "support-context", label: "support-context, app support requests", enqueue: app("support-context") },
  ];
}

/** RSS of the role's process started on an empty queue, once it is up and has settled. */
async function idleRss(ctx: Context, role: Role): Promise<number> {
  const worker = startRole(ctx, role);
  await up(worker, role);
  await sleep(1_500);
  const mb = rssMb(worker.child);
  await stop(worker.child);
  return mb;
}

/** One drain through the counting relay: statements, round trips and commits per job. */
async function counted(ctx: Context, { role, label, enqueue }: Batch): Promise<WorkerCounts> {
  const rssIdleMb = await idleRss(ctx, role);
  const total = await enqueue();
  const db = new URL(ctx.run.databaseUrl);
  const relay = await startPgCounter({ host: db.hostname, port: Number(db.port || 5432) });
  db.host = `127.0.0.1:${relay.port}`;
  await sleep(1_000);
  const before = await commits(ctx);
  const worker = startRole(ctx, role, db.toString());
  let polls = 1;
  // A pass that cannot finish (a job retried with backoff) is cut after two minutes and counted
  // over what it did.
  const deadline = Date.now() + 120_000;
  let left = await pending(ctx, role);
  while (left > 0 && Date.now() < deadline) {
    await sleep(100);
    polls++;
    left = await pending(ctx, role);
  }
  const done = total - left;
  const rssAfterMb = rssMb(worker.child);
  await stop(worker.child);
  // A backend's counts reach pg_stat_database when it ends or goes idle; the worker's have ended.
  await sleep(1_000);
  const after = await commits(ctx);
  const wire = relay.counts();
  await relay.close();
  // Minus the bench's own polls (one statement, one commit each) and the two snapshots' reads.
  const xact = after - before - polls - 2;
  return {
    worker: label,
    jobs: done,
    statementsPerJob: round2(wire.statements / done),
    roundTripsPerJob: round2(wire.roundTrips / done),
    commitsPerJob: round2(wire.commits / done),
    xactCommitsPerJob: round2(xact / done),
    rssIdleMb,
    rssAfterMb,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Interleaved rounds of a worker and its bare durable worker, each draining `jobs` made by `enqueue`. */
async function pairRounds(
  ctx: Context,
  worker: Role,
  bare: Role,
  enqueue?: (jobs: number) => Promise<unknown>,
): Promise<PairRounds> {
  const s = ctx.settings;
  const mine: DrainRound[] = [];
  const theirs: DrainRound[] = [];
  const roundRatios: number[] = [];
  for (let r = 0; r < s.workerRounds; r++) {
    // Taking turns at going first, as ingest and its baseline do.
    const pair = r % 2 === 0 ? [worker, bare] : [bare, worker];
    const got = new Map<Role, DrainRound>();
    for (const role of pair) got.set(role, await drainRound(ctx, role, s.backlog, enqueue));
    const [w, b] = [got.get(worker), got.get(bare)];
    if (w && b) {
      mine.push(w);
      theirs.push(b);
      roundRatios.push(round2(w.jobsPerSecond / b.jobsPerSecond));
    }
  }
  const sortedRatios = [...roundRatios].sort((a, b) => a - b);
  return {
    worker: median(mine, (x) => x.jobsPerSecond),
    bare: median(theirs, (x) => x.jobsPerSecond),
    ratio: sortedRatios[Math.floor(sortedRatios.length / 2)] ?? 0,
    roundRatios,
    rounds: { worker: mine, bare: theirs },
  };
}

/** Customers for billing's rounds, known by their Stripe ids, so an invoice needs no checkout. */
async function billingCustomers(ctx: Context, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `cus_pair_${randomUUID().slice(0, 18)}`);
  await ctx.run.sql`insert into customers (stripe_customer_id, email)
    select id, id || '@bench.example.com' from unnest(${ids}::text[]) id`;
  return ids;
}

export async function workers(ctx: Context): Promise<Workers> {
  const s = ctx.settings;
  const crm = await pairRounds(ctx, "crm-sync", "bare");
  const counts: WorkerCounts[] = [];
  for (const batch of batches(ctx, s.countedJobs)) counts.push(await counted(ctx, batch));
  // After the counted drains: billing-sync's invoices leave follow-ups for crm-sync and the desk.
  const customers = await billingCustomers(ctx, 500);
  let i = 0;
  const invoices = () =>
    signStripe({ payload: invoicePaid({ customer: customers[i++ % customers.length] ?? "" }), secret: ctx.run.secret });
  const billing = await pairRounds(ctx, "billing-sync", "bare-billing", (n) => enqueueStripe(ctx, invoices, n));
  const supportRounds = await pairRounds(ctx, "support-context", "bare-support", async (n) => {
    await deleteKeysWithPrefix(`${ctx.run.prefix}:support-context`);
    await saturate(`${ctx.ingestUrl}/v1/events`, support(ctx.run.appKey), { connections: 64, amount: n });
  });
  return {
    crm: crm.worker,
    bare: crm.bare,
    ratio: crm.ratio,
    roundRatios: crm.roundRatios,
    rounds: { crm: crm.rounds.worker, bare: crm.rounds.bare },
    counts,
    pairs: [
      { name: "billing-sync", jobs: "invoice.paid events of known customers", ...billing },
      { name: "support-context", jobs: "app support requests", ...supportRounds },
    ],
  };
}
