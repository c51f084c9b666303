import { randomUUID } from "node:crypto";
import { eq, getEvent, getFailure, listAudit, recordEvent, schema, searchFailures, writeAudit } from "@switchyard/db";
import { customerTimeline, findCustomer, kpiThresholds, loadKpis, overrideCustomerStatus } from "@switchyard/domain";
import { isWorkQueue, jobIdFor } from "@switchyard/events";
import { discardFailure, envelopeOf, retryAllFailures, retryFailure } from "@switchyard/queue";
import { Hono } from "hono";
import { z } from "zod";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { DiscardBody, OverrideBody, ReplayBody, RetryAllBody } from "./api-schemas.ts";

const uuid = z.uuid();

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

function idParam(value: string, what: string): string {
  if (!uuid.safeParse(value).success) throw new AdminError("not_found", `no ${what} ${value.slice(0, 40)}`);
  return value;
}

/** JSON under /api, behind the same auth as Bull Board. Every action is written to the audit log. */
export function apiRoutes(deps: AdminDeps) {
  const { db, registry } = deps;
  const audit = (actor: string, action: string, target: string, reason?: string | null, details?: unknown) =>
    writeAudit(db, { actor, action, target, reason: reason ?? null, details });
  const failureOr404 = async (id: string) => {
    const f = await getFailure(db, idParam(id, "failure"));
    if (!f) throw new AdminError("not_found", `no failure ${id}`);
    return f;
  };

  return new Hono<AdminEnv>()
    .get("/failures", async (c) => {
      const q = c.req.query();
      const rows = await searchFailures(db, {
        reason: q.reason,
        queue: q.queue,
        status: q.status,
        eventId: q.eventId && uuid.safeParse(q.eventId).success ? q.eventId : undefined,
        customer: q.customer,
        q: q.q,
        limit: q.limit ? Number(q.limit) : undefined,
      });
      return c.json({ failures: rows });
    })
    .post("/failures/retry-all", async (c) => {
      const input = await body(c.req.raw, RetryAllBody);
      const open = await searchFailures(db, { reason: input.reason, status: "open", limit: 1_000 });
      if (input.dryRun) return c.json({ reason: input.reason, dryRun: true, count: open.length });
      const retried = await retryAllFailures(registry, input.reason);
      await audit(c.get("actor"), "failures.retry_all", `failed.${input.reason}`, input.note, { count: retried });
      return c.json({ reason: input.reason, dryRun: false, retried });
    })
    .post("/failures/:id/retry", async (c) => {
      const f = await failureOr404(c.req.param("id"));
      if (f.status === "resolved" || f.status === "discarded")
        throw new AdminError("conflict", `failure is ${f.status}`);
      const outcome = await retryFailure(db, registry, f);
      await audit(c.get("actor"), "failure.retry", f.id, null, { queue: f.queue, jobId: f.jobId, outcome });
      return c.json({ id: f.id, outcome });
    })
    .post("/failures/:id/discard", async (c) => {
      const f = await failureOr404(c.req.param("id"));
      const { note } = await body(c.req.raw, DiscardBody);
      await discardFailure(db, registry, f, note);
      await audit(c.get("actor"), "failure.discard", f.id, note, { queue: f.queue, jobId: f.jobId });
      return c.json({ id: f.id, status: "discarded" });
    })
    .post("/events/:id/replay", async (c) => {
      const id = idParam(c.req.param("id"), "event");
      const { reason } = await body(c.req.raw, ReplayBody);
      const event = await getEvent(db, id);
      if (!event) throw new AdminError("not_found", `no event ${id}`);
      if (event.status === "rejected")
        throw new AdminError("conflict", "a rejected event has no valid payload to replay");
      // A new job id per replay; each consumer's ledger still stops effects it already completed.
      const jobId = `${jobIdFor(event.id)}-replay-${Date.now()}`;
      for (const queue of event.queues) {
        if (isWorkQueue(queue)) await registry.get(queue).add(event.type, envelopeOf(event), { jobId });
      }
      await audit(c.get("actor"), "event.replay", event.id, reason, { queues: event.queues, jobId });
      return c.json({ eventId: event.id, queues: event.queues, jobId });
    })
    .post("/customers/:id/override", async (c) => {
      const id = idParam(c.req.param("id"), "customer");
      const input = await body(c.req.raw, OverrideBody);
      if (!(await findCustomer(db, { id }))) throw new AdminError("not_found", `no customer ${id}`);
      const auditKey = randomUUID();
      const customer = await overrideCustomerStatus(db, id, input.status, {
        actor: c.get("actor"),
        reason: input.reason,
        auditKey,
      });
      // The override is an event of its own, so the CRM hears about it through the normal path.
      const { event } = await recordEvent(db, {
        source: "switchyard",
        sourceEventId: `override-${auditKey}`,
        type: "switchyard.customer.changed",
        payloadHash: auditKey,
        payload: { customerId: id },
        status: "received",
        queues: ["crm-sync"],
        receivedAt: new Date(),
      });
      await deps.dispatcher
        .dispatch(event)
        .catch((err: unknown) => deps.logger.warn("override recorded; CRM sync left to the relay", { err }));
      await audit(c.get("actor"), "customer.override", id, input.reason, { status: input.status, eventId: event.id });
      return c.json({ customer });
    })
    .get("/customers/:key/timeline", async (c) => {
      const key = c.req.param("key");
      const story = await customerTimeline(
        db,
        uuid.safeParse(key).success ? { id: key } : key.includes("@") ? { email: key } : { externalId: key },
      );
      if (!story) throw new AdminError("not_found", `no customer ${key.slice(0, 80)}`);
      return c.json(story);
    })
    .get("/kpis", async (c) => c.json({ kpis: await loadKpis(db, kpiThresholds(deps.config)) }))
    .get("/audit", async (c) => c.json({ entries: await listAudit(db, Number(c.req.query("limit") ?? 100)) }))
    .get("/events/:id", async (c) => {
      const id = idParam(c.req.param("id"), "event");
      const [event] = await db.select().from(schema.events).where(eq(schema.events.id, id));
      if (!event) throw new AdminError("not_found", `no event ${id}`);
      return c.json({ event });
    });
}
