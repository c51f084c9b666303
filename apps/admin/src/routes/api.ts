import { eq, listAudit, schema, searchFailures } from "@switchyard/db";
import { kpiThresholds, loadKpis } from "@switchyard/domain";
import { Hono } from "hono";
import type { z } from "zod";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import {
  countRetryAll,
  discardOne,
  failureOr404,
  idParam,
  isUuid,
  overrideCustomer,
  replayEvent,
  retryAll,
  retryOne,
  timelineOf,
} from "../operations.ts";
import { DiscardBody, OverrideBody, ReplayBody, RetryAllBody } from "./api-schemas.ts";

async function body<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new AdminError("invalid_request", "body must be JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new AdminError(
      "invalid_request",
      parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    );
  }
  return parsed.data;
}

/** JSON under /api, behind the same auth as Bull Board. Every action is written to the audit log. */
export function apiRoutes(deps: AdminDeps) {
  const { db } = deps;

  return new Hono<AdminEnv>()
    .get("/failures", async (c) => {
      const q = c.req.query();
      const rows = await searchFailures(db, {
        reason: q.reason,
        queue: q.queue,
        status: q.status,
        eventId: q.eventId && isUuid(q.eventId) ? q.eventId : undefined,
        customer: q.customer,
        q: q.q,
        limit: q.limit ? Number(q.limit) : undefined,
      });
      return c.json({ failures: rows });
    })
    .post("/failures/retry-all", async (c) => {
      const input = await body(c.req.raw, RetryAllBody);
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
      const { note } = await body(c.req.raw, DiscardBody);
      await discardOne(deps, c.get("actor"), f, note);
      return c.json({ id: f.id, status: "discarded" });
    })
    .post("/events/:id/replay", async (c) => {
      const id = idParam(c.req.param("id"), "event");
      const { reason } = await body(c.req.raw, ReplayBody);
      return c.json(await replayEvent(deps, c.get("actor"), id, reason));
    })
    .post("/customers/:id/override", async (c) => {
      const id = idParam(c.req.param("id"), "customer");
      const input = await body(c.req.raw, OverrideBody);
      const customer = await overrideCustomer(deps, c.get("actor"), id, input.status, input.reason);
      return c.json({ customer });
    })
    .get("/customers/:key/timeline", async (c) => c.json(await timelineOf(db, c.req.param("key"))))
    .get("/kpis", async (c) => c.json({ kpis: await loadKpis(db, kpiThresholds(deps.config)) }))
    .get("/audit", async (c) => c.json({ entries: await listAudit(db, Number(c.req.query("limit") ?? 100)) }))
    .get("/events/:id", async (c) => {
      const id = idParam(c.req.param("id"), "event");
      const [event] = await db.select().from(schema.events).where(eq(schema.events.id, id));
      if (!event) throw new AdminError("not_found", `no event ${id}`);
      return c.json({ event });
    });
}
