import type { Config } from "@switchyard/config";
import { KPI_KEYS } from "@switchyard/domain";
import { REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import { errorSchema, jsonSchemaOf, mountPaths, type OpenApiDocument, ref } from "@switchyard/http";
import { ADMIN_ERROR_STATUS } from "./errors.ts";
import { apiDocs } from "./routes/api.ts";
import { ApproveBody, DiscardBody, OverrideBody, RejectBody, ReplayBody, RetryAllBody } from "./routes/api-schemas.ts";
import { FAILURE_STATUSES, uuid } from "./routes/docs.ts";
import { metricsDocs } from "./routes/metrics.ts";
import { rootDocs } from "./routes/root.ts";

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, "null"], ...extra });
const timestamp = { type: "string", format: "date-time" };

function adminSchemas(): Record<string, unknown> {
  return {
    RetryAllRequest: jsonSchemaOf(RetryAllBody),
    DiscardRequest: jsonSchemaOf(DiscardBody),
    ApproveRequest: jsonSchemaOf(ApproveBody),
    RejectRequest: jsonSchemaOf(RejectBody),
    ReplayRequest: jsonSchemaOf(ReplayBody),
    OverrideRequest: jsonSchemaOf(OverrideBody),
    Failure: {
      type: "object",
      required: ["id", "queue", "jobName", "jobId", "reason", "status", "attempts", "occurrences", "createdAt"],
      properties: {
        id: uuid,
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
        id: uuid,
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
    EventJourney: {
      type: "object",
      required: ["event", "consumers", "failures", "timeline", "audit"],
      properties: {
        event: ref("Event"),
        consumers: {
          type: "array",
          description: "Each consumer (`<queue>/<job name>`) the event reached, follow-up jobs included",
          items: {
            type: "object",
            required: ["consumer", "queue", "jobName", "why", "delivery", "jobs", "failures"],
            properties: {
              consumer: { type: "string" },
              queue: { type: "string" },
              jobName: { type: "string" },
              why: { type: "string" },
              delivery: nullable("object", {
                description: "The ledger's row: runs started, result, when started and completed",
              }),
              jobs: {
                type: "array",
                description:
                  "BullMQ's jobs of this consumer for the event, each attempt with its error; `url` is Bull Board's page",
                items: {
                  type: "object",
                  required: ["queue", "id", "state", "attempts", "url"],
                  properties: {
                    queue: { type: "string" },
                    id: { type: "string" },
                    state: { type: "string" },
                    attemptsMade: { type: "integer" },
                    attempts: {
                      type: "array",
                      items: {
                        type: "object",
                        required: ["attempt", "outcome", "error"],
                        properties: {
                          attempt: { type: "integer" },
                          outcome: { type: "string", enum: ["failed", "completed", "running"] },
                          error: nullable("string"),
                        },
                      },
                    },
                    startedAt: nullable("string", { format: "date-time" }),
                    finishedAt: nullable("string", { format: "date-time" }),
                    durationMs: nullable("integer"),
                    result: {},
                    url: { type: "string" },
                  },
                },
              },
              failures: { type: "array", items: ref("Failure") },
            },
          },
        },
        failures: { type: "array", items: ref("Failure") },
        timeline: { type: "array", items: { type: "object" } },
        audit: { type: "array", items: ref("AuditEntry") },
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
        id: uuid,
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
      required: [
        "key",
        "label",
        "value",
        "unit",
        "threshold",
        "comparator",
        "ok",
        "status",
        "window",
        "sample",
        "minSample",
        "baseline",
        "note",
      ],
      additionalProperties: false,
      properties: {
        key: { type: "string", enum: [...KPI_KEYS] },
        label: { type: "string" },
        value: nullable("number", { description: "Null when the window holds nothing to measure (then ok)." }),
        unit: { type: "string", enum: ["%", "count", "ms"] },
        threshold: nullable("number", {
          description:
            "For a KPI judged against its 7-day baseline: the baseline plus its allowance, null without one.",
        }),
        comparator: { type: "string", enum: ["<", "<=", ">=", ">"] },
        ok: { type: "boolean", description: "False only when judged and value <comparator> threshold fails." },
        status: {
          type: "string",
          enum: ["ok", "breached", "no_data", "low_sample", "no_baseline"],
          description: "Only ok and breached are judged; the others show the value and never alert.",
        },
        window: { type: "string" },
        sample: nullable("integer", { description: "What the value is measured over; null for a count." }),
        minSample: { type: "integer", description: "The sample needed before the KPI may alert (KPI_MIN_SAMPLE)." },
        baseline: nullable("number", { description: "The same measure over the 7 days before, where it applies." }),
        note: nullable("string", { description: "Why it is not judged, and where the value comes from." }),
      },
    },
    AdminErrorCode: { type: "string", enum: Object.keys(ADMIN_ERROR_STATUS) },
    AdminError: errorSchema(ADMIN_ERROR_STATUS),
  };
}

const SECURITY_SCHEMES = {
  adminBearer: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
  adminBasic: { type: "http", scheme: "basic", description: "ADMIN_USER and ADMIN_PASSWORD" },
};

/**
 * The admin API, described beside each route (mounted where app.ts mounts it). Admin does not import
 * ingest: a process that runs both (the launcher) hands ingest's document in as `publicApi`, and its
 * routes are merged in, each keeping its own security and naming ingest's server.
 */
export function adminOpenApi(
  config: Pick<Config, "INGEST_PUBLIC_URL" | "INGEST_PORT">,
  publicApi?: OpenApiDocument,
): OpenApiDocument {
  const paths = { ...rootDocs, ...mountPaths("/metrics", metricsDocs), ...mountPaths("/api", apiDocs) };
  const auth =
    "Admin (private port) needs ADMIN_TOKEN as a bearer token or ADMIN_USER/ADMIN_PASSWORD as basic auth; every write lands in the audit log. Bull Board's UI and its API under /queues are not described.";
  const own: OpenApiDocument = {
    openapi: "3.1.0",
    info: {
      title: "Switchyard admin",
      version: "1",
      description: `${auth} Ingest (public port) serves its own document at its /openapi.json.`,
    },
    servers: [{ url: "/", description: "admin (private port)" }],
    security: [{ adminBearer: [] }, { adminBasic: [] }],
    paths,
    components: { schemas: adminSchemas(), securitySchemes: SECURITY_SCHEMES },
  };
  if (!publicApi) return own;
  const ingestUrl = config.INGEST_PUBLIC_URL ?? `http://127.0.0.1:${config.INGEST_PORT}`;
  const ingestPaths = Object.fromEntries(
    Object.entries(publicApi.paths)
      // /openapi.json exists on both: admin's (this document) wins here; ingest serves its own part.
      .filter(([path]) => !(path in paths))
      .map(([path, item]) => [path, { servers: [{ url: ingestUrl, description: "ingest (public port)" }], ...item }]),
  );
  return {
    ...own,
    info: {
      title: "Switchyard admin and ingest",
      version: "1",
      description: `${auth} Ingest's routes (public port) are included with their own signature schemes; ingest serves that part alone at its own /openapi.json.`,
    },
    paths: { ...paths, ...ingestPaths },
    components: {
      schemas: { ...own.components.schemas, ...publicApi.components.schemas },
      securitySchemes: { ...SECURITY_SCHEMES, ...publicApi.components.securitySchemes },
    },
  };
}
