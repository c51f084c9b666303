import { WORK_QUEUES, type WorkQueue } from "@switchyard/events";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { jobOptionsFor } from "./job-options.ts";

export interface QueueRegistryOptions {
  connection: Redis;
  prefix: string;
  /** Connection errors while Redis is away; callers decide how loudly to report them. */
  onError?: (err: Error) => void;
}

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
        defaultJobOptions: jobOptionsFor(name),
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
