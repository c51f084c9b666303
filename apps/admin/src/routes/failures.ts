import { pageFailures } from "@switchyard/db";
import { REASON_CODES } from "@switchyard/events";
import { type PathItems, pathParam, queryParam, ref } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { countRetryAll, discardOne, failureOr404, isUuid, retryAll, retryOne } from "../operations.ts";
import { DiscardBody, parseBody, RetryAllBody } from "./api-schemas.ts";
import { adminError, FAILURE_STATUSES, ok, requestBody, tags, uuid } from "./docs.ts";
import { pageParams, pageProperties } from "./events.ts";
import { pageSize, withCursor } from "./list-query.ts";

/** Search, retry (one, or every open one of a reason: a dry run first), discard. */
export function failureRoutes(deps: AdminDeps) {
  const { db } = deps;
  return new Hono<AdminEnv>()
    .get("/failures", async (c) => {
      const q = c.req.query();
      const page = await withCursor(() =>
        pageFailures(
          db,
          {
            reason: q.reason,
            queue: q.queue,
            status: q.status,
            eventId: q.eventId && isUuid(q.eventId) ? q.eventId : undefined,
            customer: q.customer,
            q: q.q,
          },
          { after: q.after || undefined, limit: pageSize(q.limit, 100) },
        ),
      );
      return c.json({ failures: page.rows, next: page.next, total: page.total, capped: page.capped });
    })
    .post("/failures/retry-all", async (c) => {
      const input = await parseBody(c.req.raw, RetryAllBody);
      if (input.dryRun)
        return c.json({ reason: input.reason, dryRun: true, count: await countRetryAll(db, input.reason) });
      const retried = await retryAll(deps, c.get("actor"), input.reason, input.note);
      return c.json({ reason: input.reason, dryRun: false, retried });
    })
    .post("/failures/:id/retry", async (c) => {
      const f = await failureOr404(db, c.req.param("id"));
      const outcome = await retryOne(deps, c.get("actor"), f);
      return c.json({ id: f.id, outcome });
    })
    .post("/failures/:id/discard", async (c) => {
      const f = await failureOr404(db, c.req.param("id"));
      const { note } = await parseBody(c.req.raw, DiscardBody);
      await discardOne(deps, c.get("actor"), f, note);
      return c.json({ id: f.id, status: "discarded" });
    });
}

const failureId = pathParam("id", "Failure id", uuid);

export const failureDocs: PathItems = {
  "/failures": {
    get: {
      tags,
      summary: "Search failures",
      parameters: [
        queryParam("reason", "Reason code", { type: "string", enum: [...REASON_CODES] }),
        queryParam("queue", "Work queue"),
        queryParam("status", "Failure status", { type: "string", enum: FAILURE_STATUSES }),
        queryParam("eventId", "Event id (ignored unless a uuid)"),
        queryParam("customer", "Customer id, email or user id"),
        queryParam("q", "Text in the error or the payload"),
        ...pageParams(100),
      ],
      responses: {
        ...ok("A page of matching failures, last updated first (keyset-paged)", {
          type: "object",
          required: ["failures", "next", "total", "capped"],
          properties: { failures: { type: "array", items: ref("Failure") }, ...pageProperties },
        }),
        ...adminError("invalid_request"),
      },
    },
  },
  "/failures/retry-all": {
    post: {
      tags,
      summary: "Retry every open failure of a reason (dry run, counting only, by default)",
      description:
        "Claims the reason's open failures and re-drives each once; a second Retry all at the same time claims only what the first left (usually 0).",
      requestBody: requestBody("RetryAllRequest"),
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
  "/failures/{id}/retry": {
    post: {
      tags,
      summary: "Re-drive one failure",
      description:
        "Re-drives the failure once however many retries arrive together: the one that claims it (open → retrying) answers 200, the others 409 `conflict`, as does a failure already resolved or discarded.",
      parameters: [failureId],
      responses: {
        ...ok("What the re-drive did", {
          type: "object",
          required: ["id", "outcome"],
          properties: {
            id: uuid,
            outcome: { type: "string", enum: ["retried", "re-added", "in-flight", "already-succeeded"] },
          },
        }),
        ...adminError("not_found", "conflict"),
      },
    },
  },
  "/failures/{id}/discard": {
    post: {
      tags,
      summary: "Close a failure with a note",
      parameters: [failureId],
      requestBody: requestBody("DiscardRequest"),
      responses: {
        ...ok("Discarded", {
          type: "object",
          required: ["id", "status"],
          properties: { id: uuid, status: { const: "discarded" } },
        }),
        ...adminError("invalid_request", "not_found", "conflict"),
      },
    },
  },
};
