import { WORK_QUEUES, type WorkQueue } from "@switchyard/events";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";

export interface QueueRegistryOptions {
  connection: Redis;
  prefix: string;
  /** Connection errors while Redis is away; callers decide how loudly to report them. */
  onError?: (err: Error) => void;
}

/** Keep finished jobs long enough that a late relay or re-delivery finds the job id taken. */
const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 100_000 };
const KEEP_FAILED = { age: 30 * 24 * 3600 };

/** The work queues, created once per process on one shared producer connection. */
export class QueueRegistry {
  readonly prefix: string;
  private readonly queues = new Map<WorkQueue, Queue>();

  constructor(opts: QueueRegistryOptions) {
    this.prefix = opts.prefix;
    for (const name of WORK_QUEUES) {
      const queue = new Queue(name, {
        connection: opts.connection,
        prefix: opts.prefix,
        defaultJobOptions: {
          attempts: 5,
          backoff: { type: "exponential", delay: 1_000 },
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      });
      // Without a listener the emitter would print every reconnect failure to stderr.
      queue.on("error", opts.onError ?? (() => {}));
      this.queues.set(name, queue);
    }
  }

  get(name: WorkQueue): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown work queue ${name}`);
    return queue;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((q) => q.close()));
  }
}
