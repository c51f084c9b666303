import { type PathItems, pathParam, ref } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { idParam, overrideCustomer, timelineOf } from "../operations.ts";
import { OverrideBody, parseBody } from "./api-schemas.ts";
import { adminError, ok, requestBody, tags, uuid } from "./docs.ts";

/** A customer's timeline across billing, CRM and support, and the operator's entitlement override. */
export function customerRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .post("/customers/:id/override", async (c) => {
      const id = idParam(c.req.param("id"), "customer");
      const input = await parseBody(c.req.raw, OverrideBody);
      const customer = await overrideCustomer(deps, c.get("actor"), id, input.status, input.reason);
      return c.json({ customer });
    })
    .get("/customers/:key/timeline", async (c) => c.json(await timelineOf(deps.db, c.req.param("key"))));
}

export const customerDocs: PathItems = {
  "/customers/{id}/override": {
    post: {
      tags,
      summary: "Operator override of entitlement (null clears it); the CRM is told",
      parameters: [pathParam("id", "Customer id", uuid)],
      requestBody: requestBody("OverrideRequest"),
      responses: {
        ...ok("The customer after the override", {
          type: "object",
          required: ["customer"],
          properties: { customer: ref("Customer") },
        }),
        ...adminError("invalid_request", "not_found"),
      },
    },
  },
  "/customers/{key}/timeline": {
    get: {
      tags,
      summary: "A customer's story across billing, CRM and support",
      parameters: [pathParam("key", "Customer id, email or app user id")],
      responses: {
        ...ok("The customer and their timeline", {
          type: "object",
          required: ["customer", "entries"],
          properties: { customer: ref("Customer"), entries: { type: "array", items: { type: "object" } } },
        }),
        ...adminError("not_found"),
      },
    },
  },
};
