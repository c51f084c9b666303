import { customerStatus, NEXT_STEPS } from "@switchyard/db";
import { json, type PathItems, pathParam, ref } from "@switchyard/http";
import { Hono } from "hono";
import { errorDocs } from "../docs.ts";
import type { AppEnv, RouteDeps } from "../env-types.ts";
import { ApiError } from "../errors.ts";
import { readWithin, requireAppKey } from "../reads.ts";

/**
 * One app user's standing, so the app can tell them what happened when automation failed. Found
 * by the app's user id only: an id Switchyard has never seen is 404, never another user's row.
 */
export function customerStatusRoutes(deps: RouteDeps) {
  return new Hono<AppEnv>().get("/:userId/status", async (c) => {
    requireAppKey(deps, c.req.header("authorization"));
    const userId = c.req.param("userId");
    const status = userId.length <= 200 ? await readWithin(deps, () => customerStatus(deps.db, userId)) : undefined;
    if (!status) throw new ApiError("not_found", "no user with that id is known to Switchyard");
    return c.json(status);
  });
}

const system = {
  type: "object",
  required: ["state", "reason", "since"],
  properties: {
    state: { type: "string", enum: ["in_sync", "pending", "failed"] },
    reason: {
      type: ["string", "null"],
      description: "The reason code when failed (`crm_timeout`, `auth_failed`, ...).",
    },
    since: { type: ["string", "null"], format: "date-time", description: "Failing, pending, or in sync since." },
  },
};

export const customerStatusSchema = {
  type: "object",
  required: ["userId", "entitled", "plan", "billingStatus", "systems", "orders", "nextStep"],
  properties: {
    userId: { type: "string" },
    entitled: { type: "boolean" },
    plan: { type: ["string", "null"] },
    billingStatus: {
      type: ["string", "null"],
      description: "Stripe's subscription status, or an operator's override.",
    },
    systems: {
      type: "object",
      required: ["billing", "crm", "support"],
      properties: { billing: system, crm: system, support: system },
    },
    orders: {
      type: "array",
      description: "Open orders (not fulfilled, canceled, refunded or a closed dispute), newest first.",
      items: {
        type: "object",
        required: ["orderId", "state", "amount", "currency", "updatedAt"],
        properties: {
          orderId: { type: ["string", "null"] },
          state: { type: "string" },
          amount: { type: ["integer", "null"] },
          currency: { type: ["string", "null"] },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
    },
    nextStep: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", enum: [...NEXT_STEPS] },
        message: { type: "string", description: "A sentence the app may show its user as is." },
      },
    },
  },
};

/** Relative to where app.ts mounts these routes (/v1/customers). */
export const customerStatusDocs: PathItems = {
  "/{userId}/status": {
    get: {
      tags: ["ingest"],
      summary: "An app user's entitlement, each system's sync state, open orders and the next step",
      description: "Read-only. A user id Switchyard has never seen (no customer, no event) is 404.",
      security: [{ appApiKey: [] }],
      parameters: [pathParam("userId", "The app's own user id, as sent in app events.")],
      responses: {
        "200": { description: "The user's status.", content: json(ref("CustomerStatus")) },
        ...errorDocs(["auth_failed", "not_found", "database_unavailable"]),
      },
    },
  },
};
