import { hash } from "node:crypto";
import type { Logger } from "@switchyard/config";
import { normalizeType, routeFor } from "@switchyard/events";
import { storableText } from "@switchyard/sources";
import { ApiError, RETRY_AFTER_SECONDS } from "./errors.ts";
import type { Parsed } from "./parse.ts";
import type { Pipeline } from "./pipeline.ts";

export interface AcceptContext {
  pipeline: Pipeline;
  logger: Logger;
  source: string;
  body: string;
  receivedAt: number;
  requestId: string;
  /** First-party keys must not be reused for a different body; provider ids always name one event. */
  strictIdempotency?: boolean;
}

export interface AcceptedEvent {
  eventId: string;
  status: "accepted" | "duplicate";
  type: string;
  queues: string[];
}

// The one-shot form: every event is hashed, and it skips building a Hash object for each.
const sha256 = (text: string) => hash("sha256", text, "hex");

/** Record once, route, enqueue. Nothing here runs before the request was authenticated. */
export async function acceptEvents(ctx: AcceptContext, parsed: Parsed): Promise<AcceptedEvent[]> {
  const receivedAt = new Date(ctx.receivedAt);
  if (!parsed.ok) {
    const bodyHash = sha256(ctx.body);
    await ctx.pipeline.submit({
      source: ctx.source,
      // Rejected rows have a key space of their own (events.rejected), so a corrected retry under the
      // same id is accepted, and no caller's key, `invalid-…` included, meets this row. The prefix
      // only makes the id read as rejected wherever it is shown, as rows before migration 0011 do.
      sourceEventId: `invalid-${parsed.sourceEventId ?? `sha256-${bodyHash}`}`,
      type: `${ctx.source}.invalid`,
      payloadHash: bodyHash,
      rawBody: storableText(ctx.body),
      status: "rejected",
      reason: "invalid_payload",
      queues: [],
      requestId: ctx.requestId,
      receivedAt,
    });
    ctx.logger.warn("rejected malformed event", { source: ctx.source, requestId: ctx.requestId });
    throw new ApiError("invalid_payload", parsed.message);
  }

  // Submitted together: the pipeline turns a batch (HubSpot sends several) into one insert and one
  // bulk add.
  const recorded = await Promise.all(
    parsed.events.map(async (incoming) => {
      const type = normalizeType(ctx.source, incoming.type);
      const queues = [...routeFor(type)];
      const payloadHash = sha256(JSON.stringify(incoming.payload));
      const result = await ctx.pipeline.submit({
        source: ctx.source,
        sourceEventId: incoming.sourceEventId,
        type,
        payload: incoming.payload,
        payloadHash,
        // An event no queue wants is finished the moment it is recorded.
        status: queues.length > 0 ? "received" : "processed",
        queues,
        requestId: ctx.requestId,
        receivedAt,
      });
      return { ...result, type, payloadHash };
    }),
  );
  const results: AcceptedEvent[] = [];
  for (const { duplicate, event, type, payloadHash } of recorded) {
    if (duplicate) {
      if (ctx.strictIdempotency && event.payloadHash !== payloadHash) {
        throw new ApiError("idempotency_conflict", "this Idempotency-Key was already used with a different body");
      }
    }
    results.push({ eventId: event.id, status: duplicate ? "duplicate" : "accepted", type, queues: event.queues });
  }

  const queueError = recorded.find((r) => r.queueError)?.queueError;
  if (queueError) {
    // The row stays `received`: the relay enqueues it once Redis is back, so nothing is lost.
    ctx.logger.error("queue unavailable; event kept for the relay", { requestId: ctx.requestId, err: queueError });
    throw new ApiError("queue_unavailable", "event recorded but the queue is unavailable; retry later", {
      "retry-after": RETRY_AFTER_SECONDS,
    });
  }
  return results;
}
