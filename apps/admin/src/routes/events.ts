import { pageEvents } from "@switchyard/db";
import { type PathItems, pathParam, queryParam, ref } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { loadEventJourney } from "../event-journey.ts";
import { idParam, replayEvent } from "../operations.ts";
import { parseBody, ReplayBody } from "./api-schemas.ts";
import { adminError, ok, requestBody, tags, uuid } from "./docs.ts";
import { pageSize, timeBound, withCursor } from "./list-query.ts";

export const EVENT_STATUSES = ["received", "enqueued", "rejected", "processed", "failed"];

/** Recorded events (paged), one event's journey, and replaying it to the queues it routes to. */
export function eventRoutes(deps: AdminDeps) {
  const { db } = deps;
  return new Hono<AdminEnv>()
    .get("/events", async (c) => {
      const q = c.req.query();
      const page = await withCursor(() =>
        pageEvents(
          db,
          {
            source: q.source || undefined,
            type: q.type || undefined,
            status: q.status || undefined,
            from: timeBound(q.from, "from"),
            to: timeBound(q.to, "to"),
          },
          { after: q.after || undefined, limit: pageSize(q.limit, 50) },
        ),
      );
      return c.json({ events: page.rows, next: page.next, total: page.total, capped: page.capped });
    })
    .post("/events/:id/replay", async (c) => {
      const id = idParam(c.req.param("id"), "event");
      const { reason } = await parseBody(c.req.raw, ReplayBody);
      return c.json(await replayEvent(deps, c.get("actor"), id, reason));
    })
    .get("/events/:id", async (c) => c.json(await loadEventJourney(deps, c.req.param("id"))));
}

const eventId = pathParam("id", "Event id", uuid);

/** The paging every list shares: `after` (the `next` of the page before) and `limit`. */
export const pageParams = (fallback: number) => [
  queryParam("after", "The `next` cursor of the previous page"),
  queryParam("limit", `Page size, 1-1000 (default ${fallback})`, { type: "integer", minimum: 1, maximum: 1_000 }),
];

/** What a paged answer adds to its rows. */
export const pageProperties = {
  next: { type: ["string", "null"], description: "Cursor of the next page; null on the last" },
  total: { type: "integer", description: "Rows matching the filter (at most 10,000)" },
  capped: { type: "boolean", description: "More than 10,000 match" },
};

export const eventDocs: PathItems = {
  "/events": {
    get: {
      tags,
      summary: "Recorded events, newest first, keyset-paged",
      parameters: [
        queryParam("source", "Source (stripe, hubspot, zendesk, app, …)"),
        queryParam("type", "Normalized type, e.g. stripe.invoice.paid"),
        queryParam("status", "Event status", { type: "string", enum: EVENT_STATUSES }),
        queryParam("from", "Received at or after (ISO 8601)", { type: "string", format: "date-time" }),
        queryParam("to", "Received at or before (ISO 8601)", { type: "string", format: "date-time" }),
        ...pageParams(50),
      ],
      responses: {
        ...ok("A page of events (without payloads)", {
          type: "object",
          required: ["events", "next", "total", "capped"],
          properties: { events: { type: "array", items: ref("Event") }, ...pageProperties },
        }),
        ...adminError("invalid_request"),
      },
    },
  },
  "/events/{id}": {
    get: {
      tags,
      summary: "One event's journey: the event, each consumer's delivery, jobs and attempts, failures, timeline, audit",
      parameters: [eventId],
      responses: {
        ...ok("The event and what became of it", ref("EventJourney")),
        ...adminError("not_found"),
      },
    },
  },
  "/events/{id}/replay": {
    post: {
      tags,
      summary: "Enqueue a recorded event again; consumers that completed it skip it",
      parameters: [eventId],
      requestBody: requestBody("ReplayRequest"),
      responses: {
        ...ok("Enqueued", {
          type: "object",
          required: ["eventId", "queues", "jobId"],
          properties: {
            eventId: uuid,
            queues: { type: "array", items: { type: "string" } },
            jobId: { type: "string" },
          },
        }),
        ...adminError("invalid_request", "not_found", "conflict"),
      },
    },
  },
};
