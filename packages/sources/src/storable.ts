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

/** In JSON text, NUL and lone surrogates can only arrive escaped (raw, they are not valid JSON). */
const ESCAPED_SUSPECT = /\\u(?:0000|[dD][89a-fA-F])/;

/** Fewer brackets than the depth limit in all: no need to measure the depth. */
function fewBrackets(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf("{"); i !== -1 && n < MAX_JSON_DEPTH; i = text.indexOf("{", i + 1)) n++;
  for (let i = text.indexOf("["); i !== -1 && n < MAX_JSON_DEPTH; i = text.indexOf("[", i + 1)) n++;
  return n < MAX_JSON_DEPTH;
}

/**
 * The parsed body made storable, or why it cannot be (too deep). Keys are cleaned like values.
 * Given the JSON text it was parsed from, a body with nothing to clean and too few brackets to be
 * too deep (every real event) is returned as it is, without a walk.
 */
export function storableJson(value: unknown, text?: string): Storable {
  if (text !== undefined && !ESCAPED_SUSPECT.test(text) && fewBrackets(text)) return { ok: true, value };
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
