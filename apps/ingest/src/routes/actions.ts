import { isDatabaseUnavailable } from "@switchyard/db";
import { ACTION_REJECTIONS, ActionProposal, type ProposeResult, proposeAction } from "@switchyard/domain/proposals";
import { APP_SOURCE } from "@switchyard/events";
import { headerParam, json, type PathItems, ref } from "@switchyard/http";
import { withTimeout } from "@switchyard/queue";
import { Hono } from "hono";
import { errorDocs } from "../docs.ts";
import type { AppEnv, RouteDeps } from "../env-types.ts";
import { ApiError, RETRY_AFTER_SECONDS } from "../errors.ts";
import { readRawBody } from "../raw-body.ts";
import { verifyApiKey } from "../verify/api-key.ts";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function parseProposal(body: string): ActionProposal {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ApiError("invalid_payload", "body must be JSON");
  }
  const parsed = ActionProposal.safeParse(value);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    throw new ApiError("invalid_payload", why.slice(0, 500));
  }
  return parsed.data;
}

const unavailable = () =>
  new ApiError("database_unavailable", "the database is unavailable; retry later", {
    "retry-after": RETRY_AFTER_SECONDS,
  });

/**
 * The action gateway's public door: the app's assistant (or its own code) proposes an action and
 * hears at once whether it ran, waits for a person, or was refused and why. The key comes first,
 * then the Idempotency-Key, before anything is read from the database.
 */
export function actionRoutes(deps: RouteDeps) {
  return new Hono<AppEnv>().post("/", async (c) => {
    c.set("source", APP_SOURCE);
    if (!verifyApiKey(c.req.header("authorization"), deps.config.APP_API_KEYS)) {
      throw new ApiError("auth_failed", "a valid bearer API key is required");
    }
    const key = c.req.header("idempotency-key");
    if (!key || !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiError("invalid_request", "Idempotency-Key header is required: 1-255 printable ASCII characters");
    }
    const proposal = parseProposal(await readRawBody(c.req.raw, c.env?.incoming));
    let result: ProposeResult;
    try {
      result = await withTimeout(
        proposeAction(deps.db, proposal, { source: APP_SOURCE, idempotencyKey: key }),
        deps.config.DATABASE_TIMEOUT_MS,
        "action proposal",
      );
    } catch (err) {
      if (isDatabaseUnavailable(err) || /timed out/.test((err as Error).message)) throw unavailable();
      throw err;
    }
    if (result.kind === "conflict") {
      throw new ApiError("idempotency_conflict", "this Idempotency-Key was already used with a different action");
    }
    const { action, duplicate, execute } = result;
    // A run not yet taken (first answer, or a retry after a queue outage) is sent again; the job id
    // is the event's, so a repeat add is a no-op, and the relay covers what this cannot send.
    if (execute && execute.status === "received") {
      await deps.dispatcher.dispatch(execute).catch((err: unknown) => {
        deps.logger.error("action recorded; its run is left to the relay", { requestId: c.get("requestId"), err });
        throw new ApiError("queue_unavailable", "action recorded but the queue is unavailable; retry later", {
          "retry-after": RETRY_AFTER_SECONDS,
        });
      });
    }
    return c.json(
      {
        actionId: action.id,
        status: action.decision,
        ...(action.decisionCode && action.decision === "rejected" ? { reasonCode: action.decisionCode } : {}),
        ...(action.decisionReason ? { reason: action.decisionReason } : {}),
        ...(duplicate ? { duplicate: true } : {}),
      },
      duplicate ? 200 : 202,
    );
  });
}

const decision = {
  type: "object",
  required: ["actionId", "status"],
  properties: {
    actionId: { type: "string", format: "uuid" },
    status: {
      type: "string",
      enum: ["executed", "queued_for_review", "rejected"],
      description:
        "`executed`: low risk, passed the schema and the policy, runs once on the actions queue; `queued_for_review`: waits in the review inbox for a person; `rejected`: refused, see `reasonCode`.",
    },
    reasonCode: { type: "string", enum: [...ACTION_REJECTIONS] },
    reason: { type: "string", description: "Why a person must decide, or why it was refused." },
    duplicate: { const: true, description: "The same key and body were proposed before: the first answer." },
  },
};

/** Relative to where app.ts mounts these routes (/v1/actions). */
export const actionDocs: PathItems = {
  "/": {
    post: {
      tags: ["actions"],
      summary: "Propose an action (the action gateway)",
      description:
        "Low-risk actions (tag_ticket, set_ticket_priority, attach_draft) run once they pass the type's schema and the policy; privileged ones (resend_receipt, extend_trial, apply_coupon, change_plan, cancel_subscription, refund) always wait for a person. The policy reads Switchyard's own records of the customer: a refund of an already refunded payment, or larger than what was paid, is rejected with a reason code.",
      security: [{ appApiKey: [] }],
      parameters: [
        headerParam(
          "Idempotency-Key",
          "1-255 printable ASCII characters; the same key and body answer the first decision.",
          {
            type: "string",
            pattern: IDEMPOTENCY_KEY.source,
          },
        ),
      ],
      requestBody: { required: true, content: json(ref("ActionProposal")) },
      responses: {
        "202": { description: "Recorded and decided.", content: json(decision) },
        "200": { description: "Proposed before under this key: the first decision.", content: json(decision) },
        ...errorDocs([
          "invalid_request",
          "invalid_payload",
          "auth_failed",
          "payload_too_large",
          "idempotency_conflict",
          "queue_unavailable",
          "database_unavailable",
        ]),
      },
    },
  },
};
