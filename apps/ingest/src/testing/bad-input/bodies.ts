import { nowS, type Rng, type Source } from "./requests.ts";

/** A payload each source would accept if it were correctly signed: auth is the only thing wrong. */
export function validBody(source: Source, r: Rng): string {
  switch (source) {
    case "stripe":
      return JSON.stringify({
        id: r.id("evt"),
        object: "event",
        type: "invoice.paid",
        created: nowS(),
        data: { object: { id: r.id("in"), object: "invoice", customer: r.id("cus") } },
      });
    case "hubspot":
      return JSON.stringify([
        {
          eventId: r.between(1, 1e9),
          subscriptionType: "contact.creation",
          objectId: r.between(1, 1e6),
          occurredAt: Date.now(),
        },
      ]);
    case "zendesk":
      return JSON.stringify({
        id: r.id("zen"),
        type: "zen:event-type:ticket.created",
        detail: { id: String(r.between(1, 1e6)), subject: "Help" },
      });
    case "acme":
      return JSON.stringify({ type: "invoice.created", data: { n: r.int(100) } });
    case "app":
      return JSON.stringify({
        type: "user.signed_up",
        data: { userId: r.id("u"), email: `${r.string(8).toLowerCase()}@example.com` },
      });
  }
}

/** Valid JSON that no source's shape accepts (a numeric type; HubSpot wants an array). */
export function shapeInvalid(source: Source, r: Rng, extra: unknown = null): string {
  if (source === "hubspot") return JSON.stringify({ eventId: r.id("e"), subscriptionType: 42, extra });
  return JSON.stringify({ id: r.id("bad"), type: 42, created: "yesterday", data: extra });
}

export function truncatedJson(source: Source, r: Rng): string {
  const full = validBody(source, r);
  for (;;) {
    const cut = full.slice(0, r.between(1, full.length - 1));
    try {
      JSON.parse(cut);
    } catch {
      return cut;
    }
  }
}

export const NON_JSON = [
  "hello",
  "<?xml version='1.0'?><event/>",
  "id=evt_1&type=invoice.paid",
  "undefined",
  "NaN",
  "{'single': 'quotes'}",
  '{"a": 1,}',
  '{"a": 01}',
  "\u001b[31mred\u001b[0m",
  "[1, 2",
  '"unterminated',
  "{}}",
  "--",
  "true false",
];

export const HUGE_NUMBERS = [
  "1e400",
  "-1e400",
  "123456789012345678901234567890123456789",
  "1e-400",
  "-0",
  "9007199254740993",
  "1".repeat(1000),
  `0.${"9".repeat(500)}`,
];

export function hugeNumberBody(source: Source, r: Rng): string {
  const n = r.pick(HUGE_NUMBERS);
  if (source === "hubspot") return `{"eventId":${n},"subscriptionType":${n},"objectId":${n}}`;
  return `{"id":"evt_${r.string(8)}","type":${n},"created":${n},"data":{"object":{"amount":${n}}}}`;
}

export function deepBody(r: Rng): string {
  // Up to 150,000 levels: still under the 1 MiB limit, so the parser has to cope with it.
  const depth = r.pick([1_000, 10_000, 100_000, 150_000]);
  return r.int(2) === 0 ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

export const UNICODE_SNIPPETS: [string, string][] = [
  ["lone high surrogate escape", "\\ud800"],
  ["lone low surrogate escape", "\\udc00"],
  ["reversed surrogate pair escape", "\\udc00\\ud800"],
  ["RTL override", "\u202Egnp.exe"],
  ["bidi isolates", "\u2066\u2067\u2068\u2069"],
  ["NUL escape", "\\u0000"],
  ["raw NUL", "a\u0000b"],
  ["emoji ZWJ sequence", "\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u{1F680}"],
  ["combining marks", "e\u0301\u0302\u0303\u0304"],
  ["zero-width", "\u200B\u200C\u200D\uFEFF"],
  ["noncharacters", "\uFFFE\uFFFF\u{10FFFF}"],
  ["C1 controls", "\u0085\u009b"],
];

export function unicodeBody(source: Source, r: Rng, snippet: string, shapeOk: boolean): string {
  // Raw text spliced into JSON strings, so escapes stay escapes and raw characters stay raw.
  const s = snippet.replaceAll('"', '\\"');
  if (!shapeOk) {
    return source === "hubspot"
      ? `{"eventId":"${s}","subscriptionType":7,"${s}":"${s}"}`
      : `{"id":"${s}-${r.string(6)}","type":7,"${s}":"${s}"}`;
  }
  const body = validBody(source, r);
  // Unsigned requests: put the snippet into a field of an otherwise acceptable payload.
  return body.replace(/"(in|u|zen|evt)_/, `"$1_${s}`);
}

export const INVALID_UTF8: number[][] = [
  [0xff, 0xfe, 0xfd],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
];

export function multipart(r: Rng): { body: string; type: string } {
  const boundary = `----sy${r.string(12)}`;
  const body = [
    `--${boundary}`,
    'Content-Disposition: form-data; name="payload"',
    "",
    '{"id":"evt_1","type":"invoice.paid"}',
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="a.bin"',
    "Content-Type: application/octet-stream",
    "",
    r.string(32),
    `--${boundary}--`,
    "",
  ].join("\r\n");
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}
