import { ACTION_TYPES, REVIEW_STATUSES } from "@switchyard/domain";
import { type PathItems, pathParam, queryParam } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { approveOne, rejectOne, reviewsOf } from "../review-ops.ts";
import { ApproveBody, parseBody, RejectBody } from "./api-schemas.ts";
import { adminError, ok, requestBody, tags, uuid } from "./docs.ts";

/** The review inbox: what waits for a person, and the two decisions (each once, audited). */
export function reviewRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .get("/reviews", async (c) => {
      const q = c.req.query();
      const limit = q.limit ? Number(q.limit) : undefined;
      return c.json(
        await reviewsOf(deps, {
          status: q.status,
          type: q.type,
          customer: q.customer,
          before: q.before,
          limit: limit !== undefined && Number.isFinite(limit) ? limit : undefined,
        }),
      );
    })
    .post("/reviews/:id/approve", async (c) => {
      const input = await parseBody(c.req.raw, ApproveBody);
      return c.json(await approveOne(deps, c.get("actor"), c.req.param("id"), input));
    })
    .post("/reviews/:id/reject", async (c) => {
      const { note } = await parseBody(c.req.raw, RejectBody);
      return c.json(await rejectOne(deps, c.get("actor"), c.req.param("id"), note));
    });
}

const reviewId = pathParam("id", "Review item id", uuid);
const outcome = {
  type: "object",
  required: ["id", "status", "already", "actionId"],
  properties: {
    id: uuid,
    status: { type: "string", enum: ["approved", "rejected"] },
    already: { type: "boolean", description: "Decided so before: this repeat changed nothing." },
    actionId: { oneOf: [uuid, { type: "null" }] },
  },
};

export const reviewDocs: PathItems = {
  "/reviews": {
    get: {
      tags,
      summary: "The review inbox, newest first, a page at a time",
      description:
        "Each item carries its age, the action and its params, what the model said and why the policy stopped it, and the customer's plan, billing status and last payment and refund.",
      parameters: [
        queryParam("status", "Item status", { type: "string", enum: [...REVIEW_STATUSES] }),
        queryParam("type", "Kind: an action type, or what a message asked for", {
          type: "string",
          examples: [...ACTION_TYPES],
        }),
        queryParam("customer", "Customer id, app user id or email"),
        queryParam("limit", "At most this many (1-200, 50 by default)", { type: "integer", minimum: 1, maximum: 200 }),
        queryParam("before", "The `next` of the page before"),
      ],
      responses: {
        ...ok("Matching items and the cursor of the next page", {
          type: "object",
          required: ["reviews", "next"],
          properties: {
            reviews: { type: "array", items: { type: "object" } },
            next: { oneOf: [{ type: "string" }, { type: "null" }] },
          },
        }),
        ...adminError("invalid_request"),
      },
    },
  },
  "/reviews/{id}/approve": {
    post: {
      tags,
      summary: "Approve: the action runs once, through the gateway, in the approver's name",
      description:
        "Edited `params` pass the action type's schema and the policy again (400 `invalid_request` or 409 `conflict` with the reason code otherwise). A second approval answers 200 with `already: true` and runs nothing again.",
      parameters: [reviewId],
      requestBody: requestBody("ApproveRequest"),
      responses: { ...ok("Approved", outcome), ...adminError("invalid_request", "not_found", "conflict") },
    },
  },
  "/reviews/{id}/reject": {
    post: {
      tags,
      summary: "Reject with a note: the item is closed and its action never runs",
      parameters: [reviewId],
      requestBody: requestBody("RejectRequest"),
      responses: { ...ok("Rejected", outcome), ...adminError("invalid_request", "not_found", "conflict") },
    },
  },
};
