import { APP_SOURCE } from "@switchyard/events";
import { headerParam, json, type PathItems, ref } from "@switchyard/http";
import { Hono } from "hono";
import { acceptEvents } from "../accept.ts";
import { recordResponses } from "../docs.ts";
import type { AppEnv, RouteDeps } from "../env-types.ts";
import { ApiError } from "../errors.ts";
import { countResults } from "../metrics.ts";
import { parseAppEvent } from "../parse.ts";
import { readRawBody } from "../raw-body.ts";
import { verifyApiKey } from "../verify/api-key.ts";
import { respond } from "./webhooks.ts";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** First-party events: bearer key first, then the Idempotency-Key that makes retries safe. */
export function appEventRoutes(deps: RouteDeps) {
  return new Hono<AppEnv>().post("/", async (c) => {
    c.set("source", APP_SOURCE);
    if (!verifyApiKey(c.req.header("authorization"), deps.config.APP_API_KEYS)) {
      throw new ApiError("auth_failed", "a valid bearer API key is required");
    }
    const body = await readRawBody(c.req.raw, c.env?.incoming);
    const key = c.req.header("idempotency-key");
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError("invalid_request", "Idempotency-Key header is required: 1-255 printable ASCII characters");
    }
    const results = await acceptEvents(
      {
        ...deps,
        source: APP_SOURCE,
        body,
        receivedAt: c.get("receivedAt"),
        requestId: c.get("requestId"),
        strictIdempotency: true,
      },
      parseAppEvent(body, key),
    );
    countResults(deps.metrics, APP_SOURCE, results);
    const { status, body: payload } = respond(results);
    return c.json(payload, status);
  });
}

/** Relative to where app.ts mounts these routes (/v1/events). */
export const appEventDocs: PathItems = {
  "/": {
    post: {
      tags: ["ingest"],
      summary: "First-party app event",
      description:
        "A retry with the same Idempotency-Key and body answers 200 duplicate; the same key with another body answers 409.",
      security: [{ appApiKey: [] }],
      parameters: [
        headerParam("Idempotency-Key", "1-255 printable ASCII characters; the event's id for deduplication.", {
          type: "string",
          pattern: IDEMPOTENCY_KEY.source,
        }),
      ],
      requestBody: { required: true, content: json(ref("AppEvent")) },
      responses: recordResponses(["invalid_request", "idempotency_conflict"]),
    },
  },
};
