import type { Config } from "@switchyard/config";
import { failureQueueName, REASON_CODES, type ReasonCode, WORK_QUEUES, type WorkQueue } from "@switchyard/events";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { jobOptionsFor, type RetryOverrides } from "./job-options.ts";

export interface QueueRegistryOptions {
  connection: Redis;
  prefix: string;
  /** Connection errors while Redis is away; callers decide how loudly to report them. */
  onError?: (err: Error) => void;
  retry?: RetryOverrides;
}

/** The work queues and the failure queues, created once per process on one producer connection. */
export class QueueRegistry {
  readonly prefix: string;
  /** The producer connection every queue here shares. */
  readonly connection: Redis;
  private readonly queues = new Map<WorkQueue, Queue>();
  private readonly failureQueues = new Map<ReasonCode, Queue>();

  constructor(opts: QueueRegistryOptions) {
    this.prefix = opts.prefix;
    this.connection = opts.connection;
    for (const name of WORK_QUEUES) {
      const queue = new Queue(name, {
        connection: opts.connection,
        prefix: opts.prefix,
        defaultJobOptions: jobOptionsFor(name, opts.retry),
      });
      // Without a listener the emitter would print every reconnect failure to stderr.
      queue.on("error", opts.onError ?? (() => {}));
      this.queues.set(name, queue);
    }
    for (const reason of REASON_CODES) {
      // A parked failure is kept until an operator retries or discards it.
      const queue = new Queue(failureQueueName(reason), {
        connection: opts.connection,
        prefix: opts.prefix,
        defaultJobOptions: { attempts: 1, removeOnComplete: { age: 30 * 24 * 3600 }, removeOnFail: false },
      });
      queue.on("error", opts.onError ?? (() => {}));
      this.failureQueues.set(reason, queue);
    }
  }

  failure(reason: ReasonCode): Queue {
    const queue = this.failureQueues.get(reason);
    if (!queue) throw new Error(`unknown failure reason ${reason}`);
    return queue;
  }

  failures(): Queue[] {
    return [...this.failureQueues.values()];
  }

  /** The registry a process builds from its configuration (prefix and retry overrides). */
  static fromConfig(config: Config, connection: Redis, onError?: (err: Error) => void): QueueRegistry {
    return new QueueRegistry({
      connection,
      prefix: config.QUEUE_PREFIX,
      retry: { attempts: config.RETRY_ATTEMPTS, backoffMs: config.RETRY_BACKOFF_MS },
      ...(onError ? { onError } : {}),
    });
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
    await Promise.all([...this.all(), ...this.failures()].map((q) => q.close()));
  }
}
