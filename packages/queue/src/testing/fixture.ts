import { createDb, type DbHandle, runMigrations } from "@switchyard/db";
import { createTestDatabase, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
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
  const testDb = await createTestDatabase(label);
  const handle = await createDb({ databaseUrl: testDb.url });
  await runMigrations(handle);
  const redis = createRedis(TEST_REDIS_URL, "producer");
  const registry = new QueueRegistry({ connection: redis, prefix });
  return {
    prefix,
    databaseUrl: testDb.url,
    handle,
    redis,
    registry,
    async close() {
      await registry.close();
      redis.disconnect();
      await handle.close();
      await testDb.drop();
      await deleteKeysWithPrefix(prefix);
    },
  };
}
