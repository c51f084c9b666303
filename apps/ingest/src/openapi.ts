import {
  AppEvent,
  HubspotBatchShape,
  SOURCE_NAME,
  StandardWebhookShape,
  StripeEventShape,
  ZendeskEventShape,
} from "@switchyard/events";
import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "./errors.ts";
import { MAX_BODY_BYTES } from "./raw-body.ts";
import { STRIPE_TOLERANCE_SECONDS } from "./verify/stripe.ts";

/** Enough of OpenAPI 3.1 to build and merge documents; validity is checked by the tests. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
    parameters?: Record<string, unknown>;
  };
}

/** A zod request schema as a JSON Schema (2020-12, OpenAPI 3.1's dialect), as a client must send it. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The one error shape both apps answer with, for a given set of codes. */
export function errorSchema(codes: readonly string[], statusOf: Record<string, number>): Record<string, unknown> {
  return {
    type: "object",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["code", "message", "requestId"],
        additionalProperties: false,
        properties: {
          code: {
            type: "string",
            enum: [...codes],
            description: `HTTP status by code: ${codes.map((c) => `${c} ${statusOf[c]}`).join(", ")}.`,
          },
          message: { type: "string", description: "For people; never carries a secret." },
          requestId: { type: "string", description: "Also in the X-Request-Id response header." },
        },
      },
    },
  };
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: unknown) => ({ "application/json": { schema } });

/** Error responses by status, each listing the codes that can produce it. */
export function errorResponses<C extends string>(
  codes: readonly C[],
  statusOf: Record<C, number>,
  schemaName: string,
): Record<string, unknown> {
  const byStatus = new Map<number, C[]>();
  for (const code of codes) byStatus.set(statusOf[code], [...(byStatus.get(statusOf[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      { description: list.join(" | "), content: json(ref(schemaName)) },
    ]),
  );
}

const ingestError = (codes: ErrorCode[]) => errorResponses(codes, ERROR_STATUS, "IngestError");

const header = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
  name,
  in: "header",
  required: true,
  description,
  schema,
});

const recordResponses = (extra: ErrorCode[]) => ({
  "200": { description: "Already recorded: counted, not processed again.", content: json(ref("IngestDuplicate")) },
  "202": { description: "Recorded and enqueued to the routed queues.", content: json(ref("IngestAccepted")) },
  ...ingestError(["invalid_payload", "auth_failed", "payload_too_large", "queue_unavailable", ...extra]),
});

function webhook(summary: string, scheme: string, body: string, parameters: unknown[], notes: string) {
  return {
    post: {
      tags: ["ingest"],
      summary,
      description: `${notes} The body is recorded exactly as sent (at most ${MAX_BODY_BYTES} bytes); a signed body that fails the shape is recorded as rejected and answered 400 invalid_payload. A bad or missing signature answers 401 and writes nothing.`,
      security: [{ [scheme]: [] }],
      parameters,
      requestBody: { required: true, content: json(ref(body)) },
      responses: recordResponses(["not_found"]),
    },
  };
}

const SCHEMAS = {
  AppEvent: jsonSchemaOf(AppEvent),
  StripeEvent: jsonSchemaOf(StripeEventShape),
  HubspotBatch: jsonSchemaOf(HubspotBatchShape),
  ZendeskEvent: jsonSchemaOf(ZendeskEventShape),
  StandardWebhook: jsonSchemaOf(StandardWebhookShape),
};

/** Ingest's public HTTP API, built from its routes' schemas, error codes and verifiers. */
export function ingestOpenApi(serverUrl?: string): OpenApiDocument {
  const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
  const eventStatus = { type: "string", enum: ["accepted", "duplicate"] };
  const batch = {
    type: "object",
    required: ["status", "events"],
    description: "A HubSpot batch: one entry per event it carried.",
    properties: {
      status: eventStatus,
      events: {
        type: "array",
        items: {
          type: "object",
          required: ["eventId", "status"],
          properties: { eventId: { type: "string", format: "uuid" }, status: eventStatus },
        },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Switchyard ingest",
      version: "1",
      description:
        "The public edge: verified provider webhooks and first-party app events, each recorded once and routed to work queues.",
    },
    ...(serverUrl ? { servers: [{ url: serverUrl, description: "ingest" }] } : {}),
    paths: {
      "/healthz": {
        get: {
          tags: ["ingest"],
          summary: "Liveness",
          security: [],
          responses: { "200": { description: "Up", content: json(statusSchema("ok")) } },
        },
      },
      "/readyz": {
        get: {
          tags: ["ingest"],
          summary: "Readiness: Redis and Postgres reachable",
          security: [],
          responses: {
            "200": { description: "Ready", content: json(statusSchema("ready")) },
            ...ingestError(["not_ready"]),
          },
        },
      },
      "/openapi.json": {
        get: {
          tags: ["ingest"],
          summary: "This document",
          security: [],
          responses: { "200": { description: "OpenAPI 3.1", content: json({ type: "object" }) } },
        },
      },
      "/webhooks/stripe": webhook(
        "Stripe webhook",
        "stripeSignature",
        "StripeEvent",
        [],
        `Verified with the stripe package against each STRIPE_WEBHOOK_SECRET (rotation), ${STRIPE_TOLERANCE_SECONDS} s tolerance measured at receipt; future timestamps are refused.`,
      ),
      "/webhooks/hubspot": webhook(
        "HubSpot webhook (v3 signature)",
        "hubspotSignatureV3",
        "HubspotBatch",
        [
          header("X-HubSpot-Request-Timestamp", "Milliseconds since the epoch; within 5 minutes of receipt.", {
            type: "string",
            pattern: "^[0-9]{1,15}$",
          }),
        ],
        "Each event of the batch is recorded on its own. The signed URI is INGEST_PUBLIC_URL + path when set.",
      ),
      "/webhooks/zendesk": webhook(
        "Zendesk webhook",
        "zendeskSignature",
        "ZendeskEvent",
        [
          header(
            "X-Zendesk-Webhook-Signature-Timestamp",
            "ISO time the signature covers; within 5 minutes of receipt.",
          ),
          {
            name: "X-Zendesk-Webhook-Invocation-Id",
            in: "header",
            required: false,
            schema: { type: "string" },
            description: "Used as the event id when the body has none.",
          },
        ],
        "HMAC-SHA256 of timestamp + body, base64, against each ZENDESK_WEBHOOK_SECRET.",
      ),
      "/webhooks/{source}": webhook(
        "Any other source, signed with Standard Webhooks",
        "standardWebhooks",
        "StandardWebhook",
        [
          {
            name: "source",
            in: "path",
            required: true,
            schema: { type: "string", pattern: SOURCE_NAME.source },
            description: "Switched on by WEBHOOK_SECRET_<SOURCE>; an unconfigured source answers 404.",
          },
          header("webhook-id", "The message id, recorded as the event's source id."),
          header("webhook-timestamp", "Seconds since the epoch; within 5 minutes of receipt.", {
            type: "string",
            pattern: "^[0-9]{1,12}$",
          }),
        ],
        "Any `v1,<signature>` in webhook-signature may match any of the source's secrets (whsec_…).",
      ),
      "/v1/events": {
        post: {
          tags: ["ingest"],
          summary: "First-party app event",
          description:
            "A retry with the same Idempotency-Key and body answers 200 duplicate; the same key with another body answers 409.",
          security: [{ appApiKey: [] }],
          parameters: [
            header("Idempotency-Key", "1-255 printable ASCII characters; the event's id for deduplication.", {
              type: "string",
              pattern: "^[\\x21-\\x7e]{1,255}$",
            }),
          ],
          requestBody: { required: true, content: json(ref("AppEvent")) },
          responses: recordResponses(["invalid_request", "idempotency_conflict"]),
        },
      },
    },
    components: {
      schemas: {
        ...SCHEMAS,
        IngestAccepted: {
          oneOf: [
            {
              type: "object",
              required: ["status", "eventId", "queues"],
              properties: {
                status: { const: "accepted" },
                eventId: { type: "string", format: "uuid" },
                queues: { type: "array", items: { type: "string" } },
              },
            },
            batch,
          ],
        },
        IngestDuplicate: {
          oneOf: [
            {
              type: "object",
              required: ["status", "eventId"],
              properties: { status: { const: "duplicate" }, eventId: { type: "string", format: "uuid" } },
            },
            batch,
          ],
        },
        IngestErrorCode: { type: "string", enum: codes },
        IngestError: errorSchema(codes, ERROR_STATUS),
      },
      securitySchemes: {
        stripeSignature: {
          type: "apiKey",
          in: "header",
          name: "Stripe-Signature",
          description: `t=<seconds>,v1=<HMAC-SHA256 of "t.body">; STRIPE_WEBHOOK_SECRET, comma-separated for rotation; ${STRIPE_TOLERANCE_SECONDS} s tolerance.`,
        },
        hubspotSignatureV3: {
          type: "apiKey",
          in: "header",
          name: "X-HubSpot-Signature-v3",
          description:
            "base64 HMAC-SHA256 of method + URI + body + X-HubSpot-Request-Timestamp with HUBSPOT_CLIENT_SECRET; 5 minutes.",
        },
        zendeskSignature: {
          type: "apiKey",
          in: "header",
          name: "X-Zendesk-Webhook-Signature",
          description:
            "base64 HMAC-SHA256 of X-Zendesk-Webhook-Signature-Timestamp + body with ZENDESK_WEBHOOK_SECRET; 5 minutes.",
        },
        standardWebhooks: {
          type: "apiKey",
          in: "header",
          name: "webhook-signature",
          description:
            'Standard Webhooks: space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with WEBHOOK_SECRET_<SOURCE>; 5 minutes.',
        },
        appApiKey: { type: "http", scheme: "bearer", description: "One of APP_API_KEYS." },
      },
    },
  };
}

function statusSchema(value: string) {
  return { type: "object", required: ["status"], properties: { status: { const: value } } };
}

/**
 * Routes a Hono app registers that the document does not describe, as "METHOD /path". Middleware
 * (method ALL) is not a route. Hono's `:name` parameters are OpenAPI's `{name}`.
 */
export function undocumentedRoutes(
  routes: readonly { method: string; path: string }[],
  doc: OpenApiDocument,
  skip: (path: string) => boolean = () => false,
): string[] {
  const missing = new Set<string>();
  for (const { method, path } of routes) {
    if (method === "ALL" || skip(path)) continue;
    const templated = path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const item = doc.paths[templated] as Record<string, unknown> | undefined;
    if (!item?.[method.toLowerCase()]) missing.add(`${method} ${templated}`);
  }
  return [...missing];
}
