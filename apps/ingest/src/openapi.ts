import { ActionProposal } from "@switchyard/domain/proposals";
import { AppEvent } from "@switchyard/events";
import { errorSchema, jsonSchemaOf, mountPaths, type OpenApiDocument } from "@switchyard/http";
import { SOURCES, type SourceRegistry } from "@switchyard/sources";
import { recordResponses } from "./docs.ts";
import { ERROR_STATUS } from "./errors.ts";
import { actionDocs } from "./routes/actions.ts";
import { appEventDocs } from "./routes/app-events.ts";
import { customerStatusDocs, customerStatusSchema } from "./routes/customer-status.ts";
import { eventStatusDocs, eventStatusSchema } from "./routes/event-status.ts";
import { healthDocs } from "./routes/health.ts";
import { openApiDocs } from "./routes/openapi.ts";
import { webhookDocs } from "./routes/webhooks-docs.ts";

/**
 * Ingest's public HTTP API, assembled from each route file's path items and, for webhooks, from
 * each source's descriptor.
 */
export function ingestOpenApi(serverUrl?: string, sources: SourceRegistry = SOURCES): OpenApiDocument {
  const codes = Object.keys(ERROR_STATUS);
  const webhooks = webhookDocs(recordResponses(["not_found"]), sources);
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
      ...healthDocs,
      ...openApiDocs,
      ...webhooks.paths,
      ...mountPaths("/v1/events", appEventDocs),
      ...mountPaths("/v1/actions", actionDocs),
      ...mountPaths("/v1/events", eventStatusDocs),
      // POST and GET share /v1/events: one path item holds both.
      "/v1/events": { ...appEventDocs["/"], ...eventStatusDocs["/"] },
      ...mountPaths("/v1/customers", customerStatusDocs),
    },
    components: {
      schemas: {
        AppEvent: jsonSchemaOf(AppEvent),
        ActionProposal: jsonSchemaOf(ActionProposal),
        AppEventStatus: eventStatusSchema,
        CustomerStatus: customerStatusSchema,
        ...webhooks.schemas,
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
        IngestError: errorSchema(ERROR_STATUS),
      },
      securitySchemes: {
        ...webhooks.securitySchemes,
        appApiKey: { type: "http", scheme: "bearer", description: "One of APP_API_KEYS." },
      },
    },
  };
}
