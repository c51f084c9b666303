// The bare durable worker the crm-sync worker is measured against: the same queue and jobs, the
// same effects (the customer found or created, its contact upserted, a timeline line, the delivery
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

const STATEMENT = `with d as (
    insert into deliveries (consumer, event_id, status, completed_at)
    values ('crm-sync/app.user.signed_up', $1::text::uuid, 'completed', now())
    on conflict (consumer, event_id) do nothing returning 1),
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
  update events set status = 'processed' where id = $1::text::uuid and exists (select 1 from d)`;

interface Job {
  data: { eventId: string; payload: { data: { userId: string; email: string } } };
}

const redis = new URL(env.REDIS_URL ?? "redis://127.0.0.1:6379");
const connection = { host: redis.hostname, port: Number(redis.port || 6379), maxRetriesPerRequest: null };
const worker = new Worker(
  "crm-sync",
  async (job: Job) => {
    const { eventId, payload } = job.data;
    await sql.unsafe(STATEMENT, [eventId, payload.data.userId, payload.data.email.toLowerCase()], { prepare: true });
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
