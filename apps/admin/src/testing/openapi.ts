import { createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle } from "@switchyard/db";
import type { OpenApiDocument } from "@switchyard/http";
import { assertJsonSchemas2020, assertValidOpenApi31 } from "@switchyard/http/testing";
import { createDispatcher, createRedis, QueueRegistry } from "@switchyard/queue";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, beforeAll, expect, it } from "vitest";
import { newAdminApp } from "../app.ts";
import { BULL_BOARD_PATH } from "../bull-board.ts";
import { CONSOLE_PATH } from "../console/page.ts";
import type { AdminDeps } from "../env-types.ts";

const TOKEN = "sy_admin_openapi_test_token_0123456789abcdef";

const under = (root: string) => (path: string) => path === root || path.startsWith(`${root}/`);
// Not JSON APIs: Bull Board's UI and the console's server-rendered pages and forms.
const html = (path: string) => under(BULL_BOARD_PATH)(path) || under(CONSOLE_PATH)(path);

export interface ServedOpenApi {
  app: ReturnType<typeof newAdminApp>;
  /** What the app was built from, for an app built beside it (the launcher's ingest). */
  deps: AdminDeps;
  /** /openapi.json as the app serves it to a client with the admin token. */
  doc: OpenApiDocument;
  /** The app's routes the document must describe: all but middleware and the HTML of Bull Board and the console. */
  apiRoutes: { method: string; path: string }[];
}

/**
 * For the describe block it is called in (`@switchyard/admin/testing`): the real admin app on a
 * database of its own and real Redis, with `publicApi` merged in when given, and the document it
 * serves; and the tests any document admin serves must pass, merged or not. Admin's own test
 * (src/openapi.test.ts) and the launcher's, which hands it ingest's document as launch.ts does,
 * both start with these.
 */
export function servedOpenApi(opts: { publicApi?: OpenApiDocument } = {}): () => ServedOpenApi {
  const prefix = uniquePrefix("openapi");
  let testDb: TestDatabase | undefined;
  let dbHandle: DbHandle | undefined;
  let redis: ReturnType<typeof createRedis> | undefined;
  let registry: QueueRegistry | undefined;
  let served: ServedOpenApi | undefined;

  beforeAll(async () => {
    testDb = await createTestDatabase("openapi");
    const config = parseConfig({
      NODE_ENV: "test",
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      ADMIN_TOKEN: TOKEN,
      STRIPE_WEBHOOK_SECRET: "whsec_openapi_test_0123456789",
    });
    dbHandle = await createDb({ databaseUrl: config.DATABASE_URL });
    redis = createRedis(TEST_REDIS_URL, "producer");
    registry = QueueRegistry.fromConfig(config, redis);
    const deps: AdminDeps = {
      config,
      db: dbHandle.db,
      registry,
      dispatcher: createDispatcher({ db: dbHandle.db, registry }),
      logger: createLogger({ name: "openapi-test", level: "silent" }),
      redis,
      credentials: { token: TOKEN },
      publicApi: opts.publicApi,
    };
    const app = newAdminApp(deps);
    const res = await app.request("/openapi.json", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    served = {
      app,
      deps,
      doc: (await res.json()) as OpenApiDocument,
      apiRoutes: app.routes.filter((r) => r.method !== "ALL" && !html(r.path)),
    };
  });
  afterAll(async () => {
    await registry?.close();
    redis?.disconnect();
    await dbHandle?.close();
    await testDb?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  const get = () => {
    if (!served) throw new Error("servedOpenApi: read in a test or hook, after its beforeAll");
    return served;
  };

  it("needs admin credentials, like everything on admin", async () => {
    const res = await get().app.request("/openapi.json");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("is a valid OpenAPI 3.1 document whose every $ref resolves", async () => {
    await assertValidOpenApi31(get().doc);
  });

  it("holds only valid JSON Schema 2020-12 (OpenAPI 3.1's dialect), inline and in components", () => {
    assertJsonSchemas2020(get().doc, 40);
  });

  return get;
}
