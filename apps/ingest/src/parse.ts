import {
  AppEvent,
  HubspotBatchShape,
  StandardWebhookShape,
  StripeEventShape,
  ZendeskEventShape,
} from "@switchyard/events";
import type { z } from "zod";
import { storableJson } from "./storable.ts";

/** One event to record, as the provider named it. */
export interface Incoming {
  sourceEventId: string;
  type: string;
  payload: unknown;
}

export type Parsed = { ok: true; events: Incoming[] } | { ok: false; message: string; sourceEventId?: string };

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    return { ok: false };
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
    .join("; ");
}

/**
 * Validates with `schema` but records the body exactly as sent: the shapes name only what ingest
 * needs, and workers (or a later replay) may need every other field.
 */
function parseWith<S extends z.ZodType>(
  body: string,
  schema: S,
  toEvents: (value: z.infer<S>, raw: unknown) => Incoming[],
  idHint?: string,
): Parsed {
  const hint = idHint ? { sourceEventId: idHint } : {};
  const json = parseJson(body);
  if (!json.ok) return { ok: false, message: "body is not valid JSON", ...hint };
  const storable = storableJson(json.value, body);
  if (!storable.ok) return { ok: false, message: storable.message, ...hint };
  const result = schema.safeParse(storable.value);
  if (!result.success) return { ok: false, message: describe(result.error), ...hint };
  return { ok: true, events: toEvents(result.data, storable.value) };
}

export const parseStripe = (body: string): Parsed =>
  parseWith(body, StripeEventShape, (e, raw) => [{ sourceEventId: e.id, type: e.type, payload: raw }]);

export const parseHubspot = (body: string): Parsed =>
  parseWith(body, HubspotBatchShape, (batch, raw) =>
    batch.map((e, i) => ({
      sourceEventId: String(e.eventId),
      type: e.subscriptionType,
      payload: (raw as unknown[])[i],
    })),
  );

export const parseZendesk = (body: string, invocationId?: string): Parsed =>
  parseWith(body, ZendeskEventShape, (e, raw) => [{ sourceEventId: e.id, type: e.type, payload: raw }], invocationId);

export const parseStandardWebhook = (body: string, webhookId: string): Parsed =>
  parseWith(
    body,
    StandardWebhookShape,
    (e, raw) => [{ sourceEventId: webhookId, type: e.type, payload: raw }],
    webhookId,
  );

export const parseAppEvent = (body: string, idempotencyKey: string): Parsed =>
  parseWith(
    body,
    AppEvent,
    (e, raw) => [{ sourceEventId: idempotencyKey, type: e.type, payload: raw }],
    idempotencyKey,
  );
