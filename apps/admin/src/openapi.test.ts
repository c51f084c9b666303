import { Validator } from "@seriousme/openapi-schema-validator";
import { createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle } from "@switchyard/db";
import { KPI_KEYS } from "@switchyard/domain";
import { newApp, type OpenApiDocument, undocumentedRoutes } from "@switchyard/ingest";
import { createDispatcher, createRedis, QueueRegistry } from "@switchyard/queue";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newAdminApp } from "./app.ts";
import { BULL_BOARD_PATH } from "./bull-board.ts";
import { CONSOLE_PATH } from "./console/page.ts";
import { ADMIN_ERROR_STATUS } from "./errors.ts";

const TOKEN = "sy_admin_openapi_test_token_0123456789";

describe("admin /openapi.json", () => {
  const prefix = uniquePrefix("openapi");
  let testDb: TestDatabase;
  let dbHandle: DbHandle;
  let redis: ReturnType<typeof createRedis>;
  let registry: QueueRegistry;
  let admin: ReturnType<typeof newAdminApp>;
  let ingest: ReturnType<typeof newApp>;
  let doc: OpenApiDocument;

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
    const logger = createLogger({ name: "openapi-test", level: "silent" });
    const dispatcher = createDispatcher({ db: dbHandle.db, registry });
    admin = newAdminApp({
      config,
      db: dbHandle.db,
      registry,
      dispatcher,
      logger,
      redis,
      credentials: { token: TOKEN },
    });
    ingest = newApp({ config, db: dbHandle.db, dispatcher, logger, checkReady: async () => {} });
    const res = await admin.request("/openapi.json", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  });
  afterAll(async () => {
    await registry?.close();
    redis?.disconnect();
    await dbHandle?.close();
    await testDb?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  it("needs admin credentials, like everything on admin", async () => {
    const res = await admin.request("/openapi.json");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("is a valid OpenAPI 3.1 document whose every $ref resolves", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it("holds only valid JSON Schema 2020-12 (OpenAPI 3.1's dialect), inline and in components", () => {
    const ajv = new Ajv2020({ strict: false });
    const schemas: [string, unknown][] = Object.entries(doc.components.schemas);
    // Every `schema` under the paths: parameters, request bodies, responses.
    const walk = (node: unknown, where: string): void => {
      if (!node || typeof node !== "object") return;
      for (const [k, v] of Object.entries(node)) {
        if (k === "schema") schemas.push([where, v]);
        else walk(v, `${where}.${k}`);
      }
    };
    walk(doc.paths, "paths");
    expect(schemas.length).toBeGreaterThan(40);
    for (const [where, schema] of schemas) {
      expect(ajv.validateSchema(schema as object), `${where}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    }
    expect(ajv.validateSchema({ type: 12 })).toBe(false);
  });

  it("describes every route of the admin and the ingest apps, with its method (the HTML of Bull Board and the console aside)", () => {
    const under = (root: string) => (path: string) => path === root || path.startsWith(`${root}/`);
    // Not JSON APIs: Bull Board's UI and the console's server-rendered pages and forms.
    const bullBoard = (path: string) => under(BULL_BOARD_PATH)(path) || under(CONSOLE_PATH)(path);
    const adminRoutes = admin.routes.filter((r) => r.method !== "ALL" && !bullBoard(r.path));
    expect(adminRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(["GET /api/kpis", "POST /api/failures/:id/retry", "GET /openapi.json", "GET /"]),
    );
    expect(undocumentedRoutes(admin.routes, doc, bullBoard)).toEqual([]);
    expect(undocumentedRoutes(ingest.routes, doc)).toEqual([]);
    // And nothing described that neither app serves.
    const served = new Set(
      [...adminRoutes, ...ingest.routes.filter((r) => r.method !== "ALL")].map(
        (r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`,
      ),
    );
    const concrete = new Set(["post /webhooks/stripe", "post /webhooks/hubspot", "post /webhooks/zendesk"]);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((k) => ["get", "post", "put", "patch", "delete"].includes(k))) {
        const op = `${method} ${path}`;
        expect(served.has(op) || concrete.has(op), op).toBe(true);
      }
    }
  });

  it("gives admin routes admin auth and ingest routes their own schemes and server", () => {
    expect(doc.security).toEqual([{ adminBearer: [] }, { adminBasic: [] }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      [
        "adminBasic",
        "adminBearer",
        "appApiKey",
        "hubspotSignatureV3",
        "standardWebhooks",
        "stripeSignature",
        "zendeskSignature",
      ].sort(),
    );
    const stripe = doc.paths["/webhooks/stripe"] as { servers: { url: string }[]; post: { security: unknown } };
    expect(stripe.post.security).toEqual([{ stripeSignature: [] }]);
    expect(stripe.servers[0]?.url).toBe("http://127.0.0.1:3000");
    expect((doc.paths["/healthz"]?.get as { security: unknown } | undefined)?.security).toEqual([]);
  });

  it("has the error shape as a component, with each app's codes, and the KPI shape", () => {
    expect(doc.components.schemas.AdminErrorCode).toEqual({ type: "string", enum: Object.keys(ADMIN_ERROR_STATUS) });
    expect(doc.components.schemas.AdminError).toMatchObject({
      required: ["error"],
      properties: {
        error: {
          required: ["code", "message", "requestId"],
          properties: { code: { enum: Object.keys(ADMIN_ERROR_STATUS) } },
        },
      },
    });
    expect(doc.components.schemas.IngestError).toBeDefined();
    expect(doc.components.schemas.Kpi).toMatchObject({
      required: ["key", "label", "value", "unit", "threshold", "comparator", "ok", "window"],
      properties: { key: { enum: [...KPI_KEYS] } },
    });
    expect(doc.components.schemas.OverrideRequest).toMatchObject({ required: ["status", "reason"] });
  });
});
