/** Deeper JSON than this is not an event anyone sends; it is refused before it can exhaust a stack. */
export const MAX_JSON_DEPTH = 64;

/** NUL, or half of a surrogate pair. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what Postgres cannot store.
const NOT_STORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Postgres text and jsonb cannot hold NUL or unpaired surrogates: they become U+FFFD. */
export function storableText(text: string): string {
  return text.replace(NOT_STORABLE, "\uFFFD");
}

export type Storable = { ok: true; value: unknown } | { ok: false; message: string };

/** The parsed body made storable, or why it cannot be (too deep). Keys are cleaned like values. */
export function storableJson(value: unknown): Storable {
  let tooDeep = false;
  const walk = (v: unknown, depth: number): unknown => {
    if (tooDeep) return null;
    if (typeof v === "string") return storableText(v);
    if (v === null || typeof v !== "object") return v;
    if (depth >= MAX_JSON_DEPTH) {
      tooDeep = true;
      return null;
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [storableText(k), walk(item, depth + 1)]));
  };
  const cleaned = walk(value, 0);
  return tooDeep
    ? { ok: false, message: `body is nested deeper than ${MAX_JSON_DEPTH} levels` }
    : { ok: true, value: cleaned };
}
