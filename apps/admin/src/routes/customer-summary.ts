import { openaiSummarizerFor } from "@switchyard/connectors";
import { accountSummary, aiOutputPolicy } from "@switchyard/domain";
import { type PathItems, pathParam } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { timelineOf } from "../operations.ts";
import { adminError, ok, tags } from "./docs.ts";

/**
 * A customer's account in a few sentences, read-only: from safe fields only (no card data, no
 * provider or transaction ids, no secrets), written by the model when OPENAI_API_KEY is set (a
 * request with no tools, so it cannot write anything), else, or when the model fails, by code.
 */
export function customerSummaryRoutes(deps: AdminDeps) {
  const { config } = deps;
  const summarizer = openaiSummarizerFor(config);
  const policy = aiOutputPolicy(config);
  return new Hono<AdminEnv>().get("/customers/:key/summary", async (c) => {
    const { customer } = await timelineOf(deps.db, c.req.param("key"));
    const result = await accountSummary(deps.db, customer, {
      summarizer,
      policy,
      onError: (err) => deps.logger.warn("account summary fell back to code", { err, requestId: c.get("requestId") }),
    });
    return c.json({ customerId: customer.id, ...result });
  });
}

export const customerSummaryDocs: PathItems = {
  "/customers/{key}/summary": {
    get: {
      tags,
      summary: "A customer's account in a few sentences, from safe fields only (model-written with OPENAI_API_KEY)",
      parameters: [pathParam("key", "Customer id, email or app user id")],
      responses: {
        ...ok("The summary and the facts it was written from", {
          type: "object",
          required: ["customerId", "facts", "summary", "source"],
          properties: {
            customerId: { type: "string", format: "uuid" },
            facts: {
              type: "object",
              description: "Plan, billing and lifecycle state, amounts, dates, recent timeline.",
            },
            summary: { type: "string" },
            source: { type: "string", enum: ["model", "code"] },
          },
        }),
        ...adminError("not_found"),
      },
    },
  },
};
