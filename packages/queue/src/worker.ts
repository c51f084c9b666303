import type { Logger } from "@switchyard/config";
import { EventEnvelope, type WorkQueue } from "@switchyard/events";
import { UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";

export interface RunWorkerOptions {
  queue: WorkQueue;
  connection: Redis;
  prefix: string;
  concurrency: number;
  logger: Logger;
  handle(envelope: EventEnvelope): Promise<void>;
}

/** A BullMQ worker over one work queue whose jobs carry an event envelope. */
export function runWorker(opts: RunWorkerOptions): Worker {
  const worker = new Worker(
    opts.queue,
    async (job) => {
      const parsed = EventEnvelope.safeParse(job.data);
      // A malformed envelope will be just as malformed on every retry.
      if (!parsed.success) throw new UnrecoverableError(`invalid_payload: ${parsed.error.message}`);
      await opts.handle(parsed.data);
    },
    { connection: opts.connection, prefix: opts.prefix, concurrency: opts.concurrency },
  );
  worker.on("failed", (job, err) =>
    opts.logger.warn("job failed", { queue: opts.queue, jobId: job?.id, attempts: job?.attemptsMade, err }),
  );
  worker.on("error", (err) => opts.logger.error("worker error", { queue: opts.queue, err }));
  return worker;
}
