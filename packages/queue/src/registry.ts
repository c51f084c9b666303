import type { Config } from "@switchyard/config";
import { failureQueueName, REASON_CODES, type ReasonCode, WORK_QUEUES, type WorkQueue } from "@switchyard/events";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { jobOptionsFor, type RetryOverrides } from "./job-options.ts";
import { isCluster, queuePrefixOf, redisTargetOf, withTimeout } from "./redis.ts";

export interface QueueRegistryOptions {
  connection: Redis;
  prefix: string;
  /** Connection errors while Redis is away; callers decide how loudly to report them. */
  onError?: (err: Error) => void;
  retry?: RetryOverrides;
  /** On a Redis Cluster: each queue's keys under a hash tag of its own (see queuePrefixOf). */
  clustered?: boolean;
}

// A readiness answer is reused this long, so a probe every second costs a write a second at most.
const PROBE_CACHE_MS = 1_000;

/** The work queues and the failure queues, created once per process on one producer connection. */
export class QueueRegistry {
  readonly prefix: string;
  /** The producer connection every queue here shares. */
  readonly connection: Redis;
  readonly clustered: boolean;
  private probe: { at: number; result: Promise<void> } | undefined;
  private readonly queues = new Map<WorkQueue, Queue>();
  private readonly failureQueues = new Map<ReasonCode, Queue>();

  constructor(opts: QueueRegistryOptions) {
    this.prefix = opts.prefix;
    this.connection = opts.connection;
    this.clustered = opts.clustered ?? false;
    for (const name of WORK_QUEUES) {
      const queue = new Queue(name, {
        connection: opts.connection,
        prefix: queuePrefixOf(opts.prefix, name, this.clustered),
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
        prefix: queuePrefixOf(opts.prefix, failureQueueName(reason), this.clustered),
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
      clustered: isCluster(redisTargetOf(config)),
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

  /**
   * Rejects unless this process can enqueue now: a real write (a key of a few seconds) in every
   * work queue's slot, so a replica that answers pings but refuses writes, or a Cluster master
   * down for one queue, fails it. Answers are cached for a second.
   */
  canEnqueue(timeoutMs = 1_000): Promise<void> {
    const now = Date.now();
    if (this.probe && now - this.probe.at < PROBE_CACHE_MS) return this.probe.result;
    const queues = this.clustered ? this.all() : this.all().slice(0, 1);
    const result = withTimeout(
      Promise.all(queues.map((q) => this.connection.set(q.toKey("ready-probe"), String(now), "PX", 5_000))),
      timeoutMs,
      "redis write",
    ).then(() => undefined);
    result.catch(() => {});
    this.probe = { at: now, result };
    return result;
  }

  async close(): Promise<void> {
    await Promise.all([...this.all(), ...this.failures()].map((q) => q.close()));
  }
}
