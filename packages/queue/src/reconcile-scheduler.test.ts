import { createLogger, parseConfig } from "@switchyard/config";
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { RECONCILE_QUEUE, startReconcileScheduler } from "./reconcile-scheduler.ts";
import { createRedis } from "./redis.ts";

const prefix = uniquePrefix("reconcile_scheduler");
const logger = createLogger({ name: "t", level: "silent" });
const configOf = (env: Record<string, string>) =>
  parseConfig({ REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, ...env });

describe("the reconcile's job scheduler", () => {
  const redis = createRedis(TEST_REDIS_URL, "producer");
  const queue = new Queue(RECONCILE_QUEUE, { connection: redis, prefix });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await deleteKeysWithPrefix(prefix);
  });

  it("with a Stripe key: one schedule every 15 minutes by default, whose job runs the reconcile; without: none", async () => {
    let runs = 0;
    const config = configOf({ STRIPE_SECRET_KEY: "sk_test_scheduler" });
    const [a, b] = await Promise.all([
      startReconcileScheduler({ config, logger, run: async () => void runs++ }),
      // A second admin process upserts the same schedule: still one.
      startReconcileScheduler({ config, logger, run: async () => void runs++ }),
    ]);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: "stripe-reconcile", every: 900_000 });
    const start = Date.now();
    while (runs === 0 && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(1);
    await Promise.all([a.close(), b.close()]);

    const off = await startReconcileScheduler({ config: configOf({}), logger, run: async () => void runs++ });
    expect(await queue.getJobSchedulers()).toHaveLength(0);
    await off.close();
  });
});
