import { AppEvent } from "@switchyard/events";
import type { z } from "zod";
import type { Incoming, Parsed } from "./request.ts";
import { storableJson } from "./storable.ts";

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
export function parseWith<S extends z.ZodType>(
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

export const parseAppEvent = (body: string, idempotencyKey: string): Parsed =>
  parseWith(
    body,
    AppEvent,
    (e, raw) => [{ sourceEventId: idempotencyKey, type: e.type, payload: raw }],
    idempotencyKey,
  );
