import { findAppEvent, jobStates } from "@switchyard/db";
import { APP_SOURCE } from "@switchyard/events";
import { json, type PathItems, pathParam, queryParam, ref } from "@switchyard/http";
import { Hono } from "hono";
import { errorDocs } from "../docs.ts";
import type { AppEnv, RouteDeps } from "../env-types.ts";
import { ApiError } from "../errors.ts";
import { readWithin, requireAppKey } from "../reads.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Where an event the app sent stands: recorded, and each consumer's run. Only events of the app
 * source are found, so the app's key never reads a provider's webhook.
 */
export function eventStatusRoutes(deps: RouteDeps) {
  const answer = async (ref: { id: string } | { idempotencyKey: string }) => {
    const event = await readWithin(deps, async () => {
      const found = await findAppEvent(deps.db, APP_SOURCE, ref);
      return found && { found, jobs: await jobStates(deps.db, [found]) };
    });
    if (!event) throw new ApiError("not_found", "no event with that id was sent by the app");
    const { found, jobs } = event;
    return {
      eventId: found.id,
      type: found.type,
      status: found.status,
      reason: found.reason,
      receivedAt: found.receivedAt.toISOString(),
      consumers: jobs.map((j) => ({
        queue: j.queue,
        job: j.job,
        state: j.state,
        reason: j.reason,
        attempts: j.attempts,
        since: j.since.toISOString(),
      })),
    };
  };
  return new Hono<AppEnv>()
    .get("/", async (c) => {
      requireAppKey(deps, c.req.header("authorization"));
      const key = c.req.query("idempotencyKey");
      if (!key) throw new ApiError("invalid_request", "idempotencyKey is required (or GET /v1/events/{id})");
      return c.json(await answer({ idempotencyKey: key }));
    })
    .get("/:id", async (c) => {
      requireAppKey(deps, c.req.header("authorization"));
      const id = c.req.param("id");
      if (!UUID.test(id)) throw new ApiError("not_found", "no event with that id was sent by the app");
      return c.json(await answer({ id: id.toLowerCase() }));
    });
}

const CONSUMER_STATES = ["completed", "failed", "retrying", "pending", "discarded"];

export const eventStatusSchema = {
  type: "object",
  required: ["eventId", "type", "status", "reason", "receivedAt", "consumers"],
  properties: {
    eventId: { type: "string", format: "uuid" },
    type: { type: "string", description: "As recorded: `app.<type>`, or `app.invalid` for a rejected body." },
    status: {
      type: "string",
      enum: ["received", "processed", "failed", "rejected"],
      description:
        "`received` (recorded, not yet done by every consumer), `processed`, `failed` (a consumer parked), `rejected` (malformed).",
    },
    reason: { type: ["string", "null"], description: "The reason code of a failed or rejected event." },
    receivedAt: { type: "string", format: "date-time" },
    consumers: {
      type: "array",
      items: {
        type: "object",
        required: ["queue", "job", "state", "reason", "attempts", "since"],
        properties: {
          queue: { type: "string" },
          job: { type: "string" },
          state: { type: "string", enum: CONSUMER_STATES },
          reason: { type: ["string", "null"] },
          attempts: { type: "integer" },
          since: { type: "string", format: "date-time" },
        },
      },
    },
  },
};

const responses = {
  "200": { description: "The event and each consumer's state.", content: json(ref("AppEventStatus")) },
  ...errorDocs(["auth_failed", "not_found", "database_unavailable"]),
};

/** Relative to where app.ts mounts these routes (/v1/events). */
export const eventStatusDocs: PathItems = {
  "/": {
    get: {
      tags: ["ingest"],
      summary: "An app event by the Idempotency-Key it was sent with",
      description:
        "The accepted event under that key; else the rejected delivery a malformed body left under it. Read-only.",
      security: [{ appApiKey: [] }],
      parameters: [{ ...queryParam("idempotencyKey", "The Idempotency-Key the event was sent with."), required: true }],
      responses: {
        ...responses,
        ...errorDocs(["invalid_request", "auth_failed", "not_found", "database_unavailable"]),
      },
    },
  },
  "/{id}": {
    get: {
      tags: ["ingest"],
      summary: "Where an app event stands: recorded, and each consumer's run",
      description: "Only events the app sent (`POST /v1/events`) are found; any other id is 404.",
      security: [{ appApiKey: [] }],
      parameters: [pathParam("id", "The eventId POST /v1/events answered with.", { type: "string", format: "uuid" })],
      responses,
    },
  },
};
