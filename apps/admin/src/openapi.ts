import type { Config } from "@switchyard/config";
import { KPI_KEYS } from "@switchyard/domain";
import { REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import {
  errorResponses,
  errorSchema,
  ingestOpenApi,
  json,
  jsonSchemaOf,
  type OpenApiDocument,
  ref,
} from "@switchyard/ingest";
import { ADMIN_ERROR_STATUS, type AdminErrorCode } from "./errors.ts";
import { DiscardBody, OverrideBody, ReplayBody, RetryAllBody } from "./routes/api-schemas.ts";

const adminError = (...codes: AdminErrorCode[]) =>
  errorResponses(["unauthorized", ...codes], ADMIN_ERROR_STATUS, "AdminError");
const ok = (description: string, schema: unknown) => ({ "200": { description, content: json(schema) } });
const body = (name: string) => ({ required: true, content: json(ref(name)) });
const idParam = (name: string, description: string, format?: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string", ...(format ? { format } : {}) },
});
const query = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});
const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, "null"], ...extra });
const timestamp = { type: "string", format: "date-time" };

const FAILURE_STATUSES = ["open", "retrying", "resolved", "discarded"];

function adminSchemas(): Record<string, unknown> {
  return {
    RetryAllRequest: jsonSchemaOf(RetryAllBody),
    DiscardRequest: jsonSchemaOf(DiscardBody),
    ReplayRequest: jsonSchemaOf(ReplayBody),
    OverrideRequest: jsonSchemaOf(OverrideBody),
    Failure: {
      type: "object",
      required: ["id", "queue", "jobName", "jobId", "reason", "status", "attempts", "occurrences", "createdAt"],
      properties: {
        id: { type: "string", format: "uuid" },
        eventId: nullable("string", { format: "uuid" }),
        queue: { type: "string", enum: [...WORK_QUEUES] },
        jobName: { type: "string" },
        jobId: { type: "string" },
        reason: { type: "string", enum: [...REASON_CODES] },
        status: { type: "string", enum: FAILURE_STATUSES },
        attempts: { type: "integer" },
        occurrences: { type: "integer", description: "Times this job reached a failure queue." },
        lastError: nullable("string"),
        payload: {},
        note: nullable("string"),
        createdAt: timestamp,
        updatedAt: timestamp,
        resolvedAt: nullable("string", { format: "date-time" }),
      },
    },
    Event: {
      type: "object",
      required: ["id", "source", "sourceEventId", "type", "status", "queues"],
      properties: {
        id: { type: "string", format: "uuid" },
        source: { type: "string" },
        sourceEventId: { type: "string" },
        type: { type: "string" },
        receivedAt: timestamp,
        status: { type: "string", enum: ["received", "enqueued", "rejected", "processed", "failed"] },
        reason: nullable("string"),
        queues: { type: "array", items: { type: "string" } },
        attempts: { type: "integer", description: "Enqueues that failed (Redis unreachable)." },
        duplicates: { type: "integer" },
        payload: {},
      },
    },
    AuditEntry: {
      type: "object",
      required: ["id", "actor", "action", "createdAt"],
      properties: {
        id: { type: "integer" },
        actor: { type: "string" },
        action: { type: "string" },
        target: nullable("string"),
        reason: nullable("string"),
        details: {},
        createdAt: timestamp,
      },
    },
    Customer: {
      type: "object",
      required: ["id", "entitled"],
      properties: {
        id: { type: "string", format: "uuid" },
        email: nullable("string"),
        externalId: nullable("string"),
        plan: nullable("string"),
        subscriptionStatus: nullable("string"),
        statusOverride: nullable("string", { enum: ["entitled", "not_entitled", null] }),
        entitled: { type: "boolean" },
      },
    },
    Kpi: {
      type: "object",
      required: ["key", "label", "value", "unit", "threshold", "comparator", "ok", "window"],
      additionalProperties: false,
      properties: {
        key: { type: "string", enum: [...KPI_KEYS] },
        label: { type: "string" },
        value: nullable("number", { description: "Null when the window holds nothing to measure (then ok)." }),
        unit: { type: "string", enum: ["%", "count"] },
        threshold: { type: "number" },
        comparator: { type: "string", enum: ["<", "<=", ">=", ">"] },
        ok: { type: "boolean", description: "value <comparator> threshold holds, or value is null." },
        window: { type: "string" },
      },
    },
    AdminErrorCode: { type: "string", enum: Object.keys(ADMIN_ERROR_STATUS) },
    AdminError: errorSchema(Object.keys(ADMIN_ERROR_STATUS), ADMIN_ERROR_STATUS),
  };
}

function adminPaths(): Record<string, Record<string, unknown>> {
  const tags = ["admin"];
  const failureId = idParam("id", "Failure id", "uuid");
  return {
    "/": {
      get: {
        tags,
        summary: "Redirects to the console at /console (HTML pages, like Bull Board at /queues: not described here)",
        responses: { "302": { description: "To /console" }, ...adminError() },
      },
    },
    "/metrics": {
      get: {
        tags,
        summary: "Prometheus metrics of every Switchyard process (text exposition format)",
        responses: {
          "200": {
            description: "Prometheus text format 0.0.4",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          ...adminError(),
        },
      },
    },
    "/openapi.json": {
      get: {
        tags,
        summary: "This document: the admin API and ingest's",
        responses: { ...ok("OpenAPI 3.1", { type: "object" }), ...adminError() },
      },
    },
    "/api/failures": {
      get: {
        tags,
        summary: "Search failures",
        parameters: [
          query("reason", "Reason code", { type: "string", enum: [...REASON_CODES] }),
          query("queue", "Work queue"),
          query("status", "Failure status", { type: "string", enum: FAILURE_STATUSES }),
          query("eventId", "Event id (ignored unless a uuid)"),
          query("customer", "Customer id, email or user id"),
          query("q", "Text in the error or the payload"),
          query("limit", "At most this many", { type: "integer", minimum: 1 }),
        ],
        responses: {
          ...ok("Matching failures, newest first", {
            type: "object",
            required: ["failures"],
            properties: { failures: { type: "array", items: ref("Failure") } },
          }),
          ...adminError(),
        },
      },
    },
    "/api/failures/retry-all": {
      post: {
        tags,
        summary: "Retry every open failure of a reason (dry run, counting only, by default)",
        requestBody: body("RetryAllRequest"),
        responses: {
          ...ok("The count (dry run) or how many were retried", {
            type: "object",
            required: ["reason", "dryRun"],
            properties: {
              reason: { type: "string", enum: [...REASON_CODES] },
              dryRun: { type: "boolean" },
              count: { type: "integer" },
              retried: { type: "integer" },
            },
          }),
          ...adminError("invalid_request"),
        },
      },
    },
    "/api/failures/{id}/retry": {
      post: {
        tags,
        summary: "Re-drive one failure",
        parameters: [failureId],
        responses: {
          ...ok("What the re-drive did", {
            type: "object",
            required: ["id", "outcome"],
            properties: { id: { type: "string", format: "uuid" }, outcome: { type: "string" } },
          }),
          ...adminError("not_found", "conflict"),
        },
      },
    },
    "/api/failures/{id}/discard": {
      post: {
        tags,
        summary: "Close a failure with a note",
        parameters: [failureId],
        requestBody: body("DiscardRequest"),
        responses: {
          ...ok("Discarded", {
            type: "object",
            required: ["id", "status"],
            properties: { id: { type: "string", format: "uuid" }, status: { const: "discarded" } },
          }),
          ...adminError("invalid_request", "not_found"),
        },
      },
    },
    "/api/events/{id}": {
      get: {
        tags,
        summary: "One recorded event",
        parameters: [idParam("id", "Event id", "uuid")],
        responses: {
          ...ok("The event", { type: "object", required: ["event"], properties: { event: ref("Event") } }),
          ...adminError("not_found"),
        },
      },
    },
    "/api/events/{id}/replay": {
      post: {
        tags,
        summary: "Enqueue a recorded event again; consumers that completed it skip it",
        parameters: [idParam("id", "Event id", "uuid")],
        requestBody: body("ReplayRequest"),
        responses: {
          ...ok("Enqueued", {
            type: "object",
            required: ["eventId", "queues", "jobId"],
            properties: {
              eventId: { type: "string", format: "uuid" },
              queues: { type: "array", items: { type: "string" } },
              jobId: { type: "string" },
            },
          }),
          ...adminError("invalid_request", "not_found", "conflict"),
        },
      },
    },
    "/api/customers/{id}/override": {
      post: {
        tags,
        summary: "Operator override of entitlement (null clears it); the CRM is told",
        parameters: [idParam("id", "Customer id", "uuid")],
        requestBody: body("OverrideRequest"),
        responses: {
          ...ok("The customer after the override", {
            type: "object",
            required: ["customer"],
            properties: { customer: ref("Customer") },
          }),
          ...adminError("invalid_request", "not_found"),
        },
      },
    },
    "/api/customers/{key}/timeline": {
      get: {
        tags,
        summary: "A customer's story across billing, CRM and support",
        parameters: [idParam("key", "Customer id, email or app user id")],
        responses: {
          ...ok("The customer and their timeline", {
            type: "object",
            required: ["customer", "entries"],
            properties: { customer: ref("Customer"), entries: { type: "array", items: { type: "object" } } },
          }),
          ...adminError("not_found"),
        },
      },
    },
    "/api/kpis": {
      get: {
        tags,
        summary: "Business KPIs, each judged against its threshold",
        responses: {
          ...ok("Every KPI", {
            type: "object",
            required: ["kpis"],
            properties: { kpis: { type: "array", items: ref("Kpi") } },
          }),
          ...adminError(),
        },
      },
    },
    "/api/audit": {
      get: {
        tags,
        summary: "Who did what, when, why (newest first)",
        parameters: [query("limit", "1-1000, default 100", { type: "integer", minimum: 1, maximum: 1_000 })],
        responses: {
          ...ok("Audit entries", {
            type: "object",
            required: ["entries"],
            properties: { entries: { type: "array", items: ref("AuditEntry") } },
          }),
          ...adminError(),
        },
      },
    },
  };
}

/**
 * Admin's API and ingest's in one document. Admin's operations use admin credentials (the default
 * security); ingest's keep their own schemes and name ingest's server on each path.
 */
export function adminOpenApi(config: Pick<Config, "INGEST_PUBLIC_URL" | "INGEST_PORT">): OpenApiDocument {
  const ingestUrl = config.INGEST_PUBLIC_URL ?? `http://127.0.0.1:${config.INGEST_PORT}`;
  const ingest = ingestOpenApi();
  const ingestPaths = Object.fromEntries(
    Object.entries(ingest.paths).map(([path, item]) => [
      path,
      { servers: [{ url: ingestUrl, description: "ingest (public port)" }], ...item },
    ]),
  );
  const clash = Object.keys(ingestPaths).filter((p) => p in adminPaths());
  // /openapi.json exists on both: admin's (this document) wins here; ingest serves its own part.
  for (const path of clash) delete ingestPaths[path];
  return {
    openapi: "3.1.0",
    info: {
      title: "Switchyard admin and ingest",
      version: "1",
      description:
        "Admin (private port) needs ADMIN_TOKEN as a bearer token or ADMIN_USER/ADMIN_PASSWORD as basic auth; every write lands in the audit log. Bull Board's UI and its API under /queues are not described. Ingest's routes (public port) are included with their own signature schemes; ingest serves that part alone at its own /openapi.json.",
    },
    servers: [{ url: "/", description: "admin (private port)" }],
    security: [{ adminBearer: [] }, { adminBasic: [] }],
    paths: { ...adminPaths(), ...ingestPaths },
    components: {
      schemas: { ...adminSchemas(), ...ingest.components.schemas },
      securitySchemes: {
        adminBearer: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
        adminBasic: { type: "http", scheme: "basic", description: "ADMIN_USER and ADMIN_PASSWORD" },
        ...ingest.components.securitySchemes,
      },
    },
  };
}
