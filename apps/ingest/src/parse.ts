import {
  AppEvent,
  HubspotBatchShape,
  StandardWebhookShape,
  StripeEventShape,
  ZendeskEventShape,
} from "@switchyard/events";
import type { z } from "zod";

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

function parseWith<S extends z.ZodType>(
  body: string,
  schema: S,
  toEvents: (value: z.infer<S>) => Incoming[],
  idHint?: string,
): Parsed {
  const json = parseJson(body);
  if (!json.ok) return { ok: false, message: "body is not valid JSON", ...(idHint ? { sourceEventId: idHint } : {}) };
  const result = schema.safeParse(json.value);
  if (!result.success)
    return { ok: false, message: describe(result.error), ...(idHint ? { sourceEventId: idHint } : {}) };
  return { ok: true, events: toEvents(result.data) };
}

export const parseStripe = (body: string): Parsed =>
  parseWith(body, StripeEventShape, (e) => [{ sourceEventId: e.id, type: e.type, payload: e }]);

export const parseHubspot = (body: string): Parsed =>
  parseWith(body, HubspotBatchShape, (batch) =>
    batch.map((e) => ({ sourceEventId: String(e.eventId), type: e.subscriptionType, payload: e })),
  );

export const parseZendesk = (body: string, invocationId?: string): Parsed =>
  parseWith(body, ZendeskEventShape, (e) => [{ sourceEventId: e.id, type: e.type, payload: e }], invocationId);

export const parseStandardWebhook = (body: string, webhookId: string): Parsed =>
  parseWith(body, StandardWebhookShape, (e) => [{ sourceEventId: webhookId, type: e.type, payload: e }], webhookId);

export const parseAppEvent = (body: string, idempotencyKey: string): Parsed =>
  parseWith(body, AppEvent, (e) => [{ sourceEventId: idempotencyKey, type: e.type, payload: e }], idempotencyKey);
