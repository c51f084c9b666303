import type { DbHandle } from "@switchyard/db";
import { migratedTestDatabase } from "@switchyard/db/testing";
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import type { Redis } from "ioredis";
import { createRedis } from "../redis.ts";
import { QueueRegistry } from "../registry.ts";

export interface QueueFixture {
  prefix: string;
  databaseUrl: string;
  handle: DbHandle;
  redis: Redis;
  registry: QueueRegistry;
  close(): Promise<void>;
}

/** A migrated database and a queue registry under a key prefix of this test file's own. */
export async function queueFixture(label: string): Promise<QueueFixture> {
  const prefix = uniquePrefix(label);
  const database = await migratedTestDatabase(label);
  const redis = createRedis(TEST_REDIS_URL, "producer");
  const registry = new QueueRegistry({ connection: redis, prefix });
  return {
    prefix,
    databaseUrl: database.url,
    handle: database.handle,
    redis,
    registry,
    async close() {
      await registry.close();
      redis.disconnect();
      await database.close();
      await deleteKeysWithPrefix(prefix);
    },
  };
}
