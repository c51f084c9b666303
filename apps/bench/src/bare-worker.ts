// The bare durable worker a Switchyard worker is measured against (BARE_ROLE: crm-sync, the
// default, billing-sync or support-context): the same queue and jobs, the same effects (for a
// signup, the customer found or created, its contact upserted, a timeline line, the delivery
// recorded done and the event settled), in one statement of plain postgres.js per job, with no
// validation, logging, deadline or failure handling. What the database allows, for the ratio.
import { createRequire } from "node:module";
import postgres from "postgres";
import { repoPath } from "./settings.ts";

// The very BullMQ the workers resolve, so both sides of the ratio run the same queue client.
const require = createRequire(repoPath("packages/queue/package.json"));
interface BullWorker {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}
type WorkerClass = new (
  queue: string,
  run: (job: Job) => Promise<void>,
  opts: { connection: unknown; prefix: string; concurrency: number },
) => BullWorker;
const { Worker } = (await import(require.resolve("bullmq"))) as { Worker: WorkerClass };

const env = process.env;
const sql = postgres(env.DATABASE_URL ?? "", { max: Number(env.DATABASE_POOL_MAX ?? 5), onnotice: () => {} });

/** CTE `d`: the delivery of `consumer` for event $1 recorded done; no row when it already was. */
const done = (consumer: string) => `d as (
    insert into deliveries (consumer, event_id, status, completed_at)
    values ('${consumer}', $1::text::uuid, 'completed', now())
    on conflict (consumer, event_id) do nothing returning 1)`;
/** The event settled, by the statement whose delivery it recorded. */
const SETTLED = `update events set status = 'processed' where id = $1::text::uuid and exists (select 1 from d)`;

/** crm-sync's signup: the customer found or created, its contact, a timeline line, done, settled. */
const SIGNUP = `with ${done("crm-sync/app.user.signed_up")},
  c as (
    insert into customers (external_id, email) select $2::text, $3::text where exists (select 1 from d)
    on conflict (external_id) do update set email = excluded.email returning id),
  k as (
    insert into crm_contacts (customer_id, email, external_id, lifecycle_stage)
    select id, $3::text, $2::text, 'lead' from c
    on conflict (customer_id) do update set email = excluded.email returning 1),
  t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, dedupe_key)
    select id, now(), 'crm_sync', 'contact created in local CRM: lead', $1::text::uuid, 'crm:' || $1::text from c
    on conflict (dedupe_key) do nothing)
  ${SETTLED}`;

/** billing-sync's invoice.paid of a known customer: its last payment, a timeline line, done, settled. */
const INVOICE = `with ${done("billing-sync/stripe.invoice.paid")},
  c as (
    update customers set last_payment_id = $3::text, last_payment_amount = $4::text::int,
      last_payment_currency = $5::text, last_payment_at = to_timestamp($6::text::float8), updated_at = now()
    where stripe_customer_id = $2::text and exists (select 1 from d) returning id),
  t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, dedupe_key)
    select id, now(), 'event', 'stripe.invoice.paid', $1::text::uuid, 'event:' || $1::text from c
    on conflict (dedupe_key) do nothing)
  ${SETTLED}`;

/**
 * support-context's app support request on the local desk: the customer looked up, the ticket
 * opened and tracked, its context note and timeline line, done (ai-triage shares the event, so it
 * stays unsettled, as with the worker when ai-triage is not running).
 */
const SUPPORT = `with ${done("support-context/app.support.requested")},
  c as (select id from customers where external_id = $2::text or email = $3::text limit 1),
  k as (
    insert into support_tickets (external_id, requester_email, subject, customer_id)
    select 'app-' || $1::text, $3::text, $4::text, (select id from c) where exists (select 1 from d)
    on conflict (external_id) do nothing returning id),
  x as (
    insert into ticket_contexts (desk, ticket_ref, customer_id) select 'local', 'app-' || $1::text, (select id from c)
    from k on conflict (desk, ticket_ref) do nothing),
  n as (
    insert into support_notes (ticket_id, idempotency_key, kind, body, public)
    select id, 'bare', 'context', $5::text, false from k returning id)
  insert into customer_timeline (customer_id, at, kind, summary, event_id, dedupe_key)
  select (select id from c), now(), 'support_note', 'context note', $1::text::uuid, 'note:' || $1::text
  from n where exists (select 1 from c)
  on conflict (dedupe_key) do nothing`;

interface Job {
  data: { eventId: string; payload: Record<string, unknown> };
}
type Fields = Record<string, unknown>;
const text = (v: unknown) => (v === undefined || v === null ? null : String(v));

/** Per role: its queue, its one statement and that statement's parameters from the job. */
const ROLES: Record<string, { queue: string; statement: string; params: (job: Job) => (string | null)[] }> = {
  "crm-sync": {
    queue: "crm-sync",
    statement: SIGNUP,
    params: ({ data }) => {
      const user = data.payload.data as { userId: string; email: string };
      return [data.eventId, user.userId, user.email.toLowerCase()];
    },
  },
  "billing-sync": {
    queue: "billing-sync",
    statement: INVOICE,
    params: ({ data }) => {
      const invoice = (data.payload.data as { object: Fields }).object;
      return [
        data.eventId,
        text(invoice.customer),
        text(invoice.id),
        text(invoice.amount_paid),
        text(invoice.currency),
        text(invoice.created ?? data.payload.created),
      ];
    },
  },
  "support-context": {
    queue: "support-context",
    statement: SUPPORT,
    params: ({ data }) => {
      const request = data.payload.data as { userId?: string; email?: string; subject?: string; message?: string };
      const email = request.email?.toLowerCase() ?? null;
      return [
        data.eventId,
        request.userId ?? null,
        email,
        request.subject ?? null,
        `Context for ${email ?? "unknown"}`,
      ];
    },
  },
};

const role = ROLES[env.BARE_ROLE ?? "crm-sync"];
if (!role) throw new Error(`BARE_ROLE must be one of ${Object.keys(ROLES).join(", ")}`);

const redis = new URL(env.REDIS_URL ?? "redis://127.0.0.1:6379");
const connection = { host: redis.hostname, port: Number(redis.port || 6379), maxRetriesPerRequest: null };
const worker = new Worker(
  role.queue,
  async (job: Job) => {
    await sql.unsafe(role.statement, role.params(job), { prepare: true });
  },
  { connection, prefix: env.QUEUE_PREFIX ?? "switchyard", concurrency: Number(env.WORKER_CONCURRENCY ?? 10) },
);
await worker.waitUntilReady();
process.stdout.write("bare worker started\n");
process.once("SIGTERM", async () => {
  await worker.close();
  await sql.end({ timeout: 1 });
  process.exit(0);
});
