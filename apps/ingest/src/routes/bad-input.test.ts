import { createHmac } from "node:crypto";
import { signStripeBody } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS, type ErrorCode } from "../errors.ts";
import { MAX_BODY_BYTES } from "../raw-body.ts";
import { createHarness, type Harness, SECRETS } from "../testing/harness.ts";

/**
 * A generated bad-input suite: well over a thousand malformed requests against the real app on
 * Postgres and Redis. Every one must get a 4xx in the error shape; none without valid
 * authentication may write a row or a job; authenticated-but-malformed ones may only leave
 * `rejected` rows; /healthz keeps answering throughout.
 */

const BASE = "http://ingest.test";
const SEED = 0x5eed_cafe;
const CONCURRENCY = 16;
const HEALTH_EVERY = 50;

type Source = "stripe" | "hubspot" | "zendesk" | "acme" | "app";
const SOURCES: Source[] = ["stripe", "hubspot", "zendesk", "acme", "app"];
const WEBHOOK_SOURCES: Exclude<Source, "app">[] = ["stripe", "hubspot", "zendesk", "acme"];
const PATH: Record<Source, string> = {
  stripe: "/webhooks/stripe",
  hubspot: "/webhooks/hubspot",
  zendesk: "/webhooks/zendesk",
  acme: "/webhooks/acme",
  app: "/v1/events",
};
/** The header that carries each source's signature (or key). */
const SIG_HEADER: Record<Source, string> = {
  stripe: "stripe-signature",
  hubspot: "x-hubspot-signature-v3",
  zendesk: "x-zendesk-webhook-signature",
  acme: "webhook-signature",
  app: "authorization",
};

const KNOWN_4XX = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => ERROR_STATUS[c] < 500);

/*
 * Requests this suite once answered with 500, kept here so they stay fixed: future-dated and
 * unreadable Stripe timestamps, raw NUL bytes, \u0000 and lone-surrogate escapes, 10 KB event
 * ids, 5 KB event types, and bodies nested ~100,000 levels deep.
 */

type HeaderList = Record<string, string> | [string, string][];

interface Case {
  category: string;
  label: string;
  method: string;
  path: string;
  headers: HeaderList;
  body?: string | Uint8Array;
  /** Carries valid authentication: may leave rows, but only `rejected` ones. */
  auth: boolean;
  /** Error codes this request may answer with. */
  codes: ErrorCode[];
  /** Edge probes only: a 2xx is as good as a 4xx (the payload is valid, just hostile). */
  allow2xx?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
  const string = (len: number, alphabet = ALNUM) => {
    let out = "";
    for (let i = 0; i < len; i++) out += alphabet[int(alphabet.length)];
    return out;
  };
  return {
    int,
    between: (lo: number, hi: number) => lo + int(hi - lo + 1),
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    id: (prefix: string) => `${prefix}_${string(16)}`,
    string,
    /** Printable ASCII with no leading/trailing space (fetch would trim it). */
    printable: (len: number) => `x${string(Math.max(0, len - 2), PRINTABLE)}x`,
    base64: (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => int(256))).toString("base64"),
    hex: (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => int(256))).toString("hex"),
  };
}
type Rng = ReturnType<typeof rng>;

// ---------------------------------------------------------------------------------------------
// Signers over raw bodies (the testkit ones sign JSON.stringify(payload))

const nowS = () => Math.floor(Date.now() / 1000);
const MIN = 60;

const hmac = (key: string | Buffer, content: string, enc: "base64" | "hex" = "base64") =>
  createHmac("sha256", key).update(content).digest(enc);

function stripeHeaders(body: string, opts: { secret?: string; t?: number } = {}): Record<string, string> {
  const signed = signStripeBody({ body, secret: opts.secret ?? SECRETS.stripe, timestamp: opts.t ?? nowS() });
  return { "stripe-signature": signed.headers["stripe-signature"] ?? "" };
}

function hubspotHeaders(
  body: string,
  opts: { secret?: string; tsMs?: string; uri?: string; method?: string } = {},
): Record<string, string> {
  const ts = opts.tsMs ?? String(Date.now());
  const uri = opts.uri ?? `${BASE}${PATH.hubspot}`;
  return {
    "x-hubspot-signature-v3": hmac(opts.secret ?? SECRETS.hubspot, `${opts.method ?? "POST"}${uri}${body}${ts}`),
    "x-hubspot-request-timestamp": ts,
  };
}

function zendeskHeaders(body: string, opts: { secret?: string; ts?: string } = {}): Record<string, string> {
  const ts = opts.ts ?? new Date().toISOString();
  return {
    "x-zendesk-webhook-signature": hmac(opts.secret ?? SECRETS.zendesk, `${ts}${body}`),
    "x-zendesk-webhook-signature-timestamp": ts,
  };
}

const whsecKey = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ""), "base64");

function standardHeaders(
  body: string,
  opts: { secret?: string; id?: string; ts?: string } = {},
): Record<string, string> {
  const id = opts.id ?? "msg_default";
  const ts = opts.ts ?? String(nowS());
  return {
    "webhook-id": id,
    "webhook-timestamp": ts,
    "webhook-signature": `v1,${hmac(whsecKey(opts.secret ?? SECRETS.generic), `${id}.${ts}.${body}`)}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** A payload each source would accept if it were correctly signed: auth is the only thing wrong. */
function validBody(source: Source, r: Rng): string {
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
function shapeInvalid(source: Source, r: Rng, extra: unknown = null): string {
  if (source === "hubspot") return JSON.stringify({ eventId: r.id("e"), subscriptionType: 42, extra });
  return JSON.stringify({ id: r.id("bad"), type: 42, created: "yesterday", data: extra });
}

function truncatedJson(source: Source, r: Rng): string {
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

const NON_JSON = [
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

const HUGE_NUMBERS = [
  "1e400",
  "-1e400",
  "123456789012345678901234567890123456789",
  "1e-400",
  "-0",
  "9007199254740993",
  "1".repeat(1000),
  `0.${"9".repeat(500)}`,
];

function hugeNumberBody(source: Source, r: Rng): string {
  const n = r.pick(HUGE_NUMBERS);
  if (source === "hubspot") return `{"eventId":${n},"subscriptionType":${n},"objectId":${n}}`;
  return `{"id":"evt_${r.string(8)}","type":${n},"created":${n},"data":{"object":{"amount":${n}}}}`;
}

function deepBody(r: Rng): string {
  // Up to 150,000 levels: still under the 1 MiB limit, so the parser has to cope with it.
  const depth = r.pick([1_000, 10_000, 100_000, 150_000]);
  return r.int(2) === 0 ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

const UNICODE_SNIPPETS: [string, string][] = [
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

function unicodeBody(source: Source, r: Rng, snippet: string, shapeOk: boolean): string {
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

const INVALID_UTF8: number[][] = [
  [0xff, 0xfe, 0xfd],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
];

function multipart(r: Rng): { body: string; type: string } {
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

// ---------------------------------------------------------------------------------------------
// The generator

/** Headers that authenticate `body` for `source` (valid secret, fresh timestamp). */
function validAuth(source: Source, body: string, r: Rng): Record<string, string> {
  switch (source) {
    case "stripe":
      return stripeHeaders(body);
    case "hubspot":
      return hubspotHeaders(body);
    case "zendesk":
      return { ...zendeskHeaders(body), "x-zendesk-webhook-invocation-id": r.id("inv") };
    case "acme":
      return standardHeaders(body, { id: r.id("msg") });
    case "app":
      return { authorization: `Bearer ${SECRETS.appKey}`, "idempotency-key": r.id("idem") };
  }
}

function wrongSecretAuth(source: Source, body: string, r: Rng): Record<string, string> {
  // Other sources' secrets too: a secret is only good for its own source.
  const own: Record<Source, string> = {
    stripe: SECRETS.stripe,
    hubspot: SECRETS.hubspot,
    zendesk: SECRETS.zendesk,
    acme: SECRETS.generic,
    app: SECRETS.appKey,
  };
  const secret = r.pick(
    ["nope", SECRETS.zendesk, SECRETS.hubspot, SECRETS.stripe, `${SECRETS.stripe}x`, r.string(24)].filter(
      (s) => s !== own[source],
    ),
  );
  switch (source) {
    case "stripe":
      return stripeHeaders(body, { secret });
    case "hubspot":
      return hubspotHeaders(body, { secret });
    case "zendesk":
      return zendeskHeaders(body, { secret });
    case "acme":
      return standardHeaders(body, { secret: `whsec_${r.base64(32)}`, id: r.id("msg") });
    case "app":
      return { authorization: `Bearer ${r.pick(["sy_live_app_key_012345678", "sy_guess", secret])}` };
  }
}

function wrongSchemeAuth(source: Source, body: string, r: Rng): Record<string, string> {
  const t = nowS();
  switch (source) {
    case "stripe":
      return {
        "stripe-signature": r.pick([
          `t=${t},v0=${hmac(SECRETS.stripe, `${t}.${body}`, "hex")}`,
          `t=${t},v2=${hmac(SECRETS.stripe, `${t}.${body}`, "hex")}`,
          `t=${t},v1=${hmac(SECRETS.stripe, `${t}.${body}`)}`,
          `sha256=${hmac(SECRETS.stripe, body, "hex")}`,
          `v1=${hmac(SECRETS.stripe, `${t}.${body}`, "hex")}`,
          `t=${t};v1=${hmac(SECRETS.stripe, `${t}.${body}`, "hex")}`,
        ]),
      };
    case "hubspot": {
      const ts = String(Date.now());
      const v3 = hubspotHeaders(body, { tsMs: ts })["x-hubspot-signature-v3"] ?? "";
      return r.pick([
        // v1: sha256 hex of secret + body, in the v1 header
        {
          "x-hubspot-signature": createHmac("sha256", "").update(`${SECRETS.hubspot}${body}`).digest("hex"),
          "x-hubspot-signature-version": "v1",
        },
        { "x-hubspot-signature": v3, "x-hubspot-request-timestamp": ts },
        { "x-hubspot-signature-v3": Buffer.from(v3, "base64").toString("hex"), "x-hubspot-request-timestamp": ts },
        hubspotHeaders(body, { method: "PUT" }),
        hubspotHeaders(body, { uri: "https://evil.test/webhooks/hubspot" }),
      ]);
    }
    case "zendesk": {
      const ts = new Date().toISOString();
      return {
        "x-zendesk-webhook-signature": r.pick([
          hmac(SECRETS.zendesk, `${ts}${body}`, "hex"),
          createHmac("sha1", SECRETS.zendesk).update(`${ts}${body}`).digest("base64"),
          hmac(SECRETS.zendesk, `${body}${ts}`),
          `sha256=${hmac(SECRETS.zendesk, `${ts}${body}`)}`,
        ]),
        "x-zendesk-webhook-signature-timestamp": ts,
      };
    }
    case "acme": {
      const h = standardHeaders(body, { id: r.id("msg") });
      const sig = (h["webhook-signature"] ?? "").slice(3);
      return {
        ...h,
        "webhook-signature": r.pick([`v1a,${sig}`, `v2,${sig}`, sig, `v1=${sig}`, `v1:${sig}`]),
      };
    }
    case "app":
      return {
        authorization: r.pick([
          `Basic ${Buffer.from(SECRETS.appKey).toString("base64")}`,
          `Basic ${Buffer.from(`${SECRETS.appKey}:`).toString("base64")}`,
          `Token ${SECRETS.appKey}`,
          SECRETS.appKey,
          `Bearer: ${SECRETS.appKey}`,
          `Bearer=${SECRETS.appKey}`,
          `Bearer\t${SECRETS.appKey}`,
        ]),
        "idempotency-key": r.id("idem"),
      };
  }
}

function withHeader(headers: Record<string, string>, name: string, value: string | undefined) {
  const out = { ...headers };
  if (value === undefined) delete out[name];
  else out[name] = value;
  return out;
}

function generateCases(seed: number): Case[] {
  const r = rng(seed);
  const cases: Case[] = [];
  const json = { "content-type": "application/json" };
  const add = (c: Omit<Case, "method"> & { method?: string }) => cases.push({ method: "POST", ...c });
  const unauth = (source: Source, category: string, label: string, headers: HeaderList, body?: string | Uint8Array) =>
    add({
      category,
      label: `${source}: ${label}`,
      path: PATH[source],
      headers,
      ...(body === undefined ? {} : { body }),
      auth: false,
      codes: ["auth_failed"],
    });
  const signedBad = (source: Source, category: string, label: string, body: string, extra: HeaderList = {}) =>
    add({
      category,
      label: `${source}: ${label}`,
      path: PATH[source],
      headers: { ...json, ...validAuth(source, body, r), ...(extra as Record<string, string>) },
      body,
      auth: true,
      codes: ["invalid_payload"],
    });

  // --- signatures: missing, empty, truncated, wrong secret, wrong scheme, garbage, cross-source
  for (const source of SOURCES) {
    for (let i = 0; i < 8; i++) {
      const body = validBody(source, r);
      const good = validAuth(source, body, r);
      const sig = SIG_HEADER[source];
      const value = good[sig] ?? "";
      unauth(source, "sig-missing", "no signature header", { ...json, ...withHeader(good, sig, undefined) }, body);
      if (source !== "app" && i < 4) unauth(source, "sig-missing", "no headers at all", { ...json }, body);
      unauth(source, "sig-empty", "empty signature header", { ...json, ...withHeader(good, sig, "") }, body);
      const cut = r.between(1, value.length - 1);
      unauth(
        source,
        "sig-truncated",
        `signature cut at ${cut}`,
        { ...json, ...withHeader(good, sig, value.slice(0, cut)) },
        body,
      );
      unauth(
        source,
        "sig-wrong-secret",
        "signed with another secret",
        { ...json, ...wrongSecretAuth(source, body, r) },
        body,
      );
      unauth(
        source,
        "sig-wrong-scheme",
        "right secret, wrong scheme",
        { ...json, ...wrongSchemeAuth(source, body, r) },
        body,
      );
      const garbage = r.pick([
        r.printable(r.between(1, 200)),
        r.base64(r.between(1, 64)),
        r.hex(32),
        `t=${r.string(5)},v1=${r.string(64)}`,
        "v1,",
        "=",
        ",,,,",
        "Bearer",
      ]);
      unauth(source, "sig-garbage", "garbage signature", { ...json, ...withHeader(good, sig, garbage) }, body);
      // A body signed for one source posted to another.
      const other = r.pick(SOURCES.filter((s) => s !== source));
      unauth(source, "sig-cross-source", `signed as ${other}`, { ...json, ...validAuth(other, body, r) }, body);
      // A valid signature over a different body (a bearer key signs no body).
      if (source !== "app") {
        unauth(source, "sig-tampered-body", "signature of another body", { ...json, ...good }, validBody(source, r));
      }
    }
  }

  // --- timestamps: stale, future, non-numeric
  const NON_NUMERIC = ["abc", "1e12", "-1", "0x10", "12.5", "", " ", "NaN", "Infinity", "½", "1 2", "+1700000000"];
  for (const source of WEBHOOK_SOURCES) {
    for (let i = 0; i < 10; i++) {
      const body = validBody(source, r);
      for (const kind of ["stale", "future"] as const) {
        const offsetS = (kind === "stale" ? -1 : 1) * r.pick([6 * MIN, 10 * MIN, 3600, 86_400, 365 * 86_400]);
        const t = nowS() + offsetS;
        const headers =
          source === "stripe"
            ? stripeHeaders(body, { t })
            : source === "hubspot"
              ? hubspotHeaders(body, { tsMs: String(t * 1000) })
              : source === "zendesk"
                ? zendeskHeaders(body, { ts: new Date(t * 1000).toISOString() })
                : standardHeaders(body, { id: r.id("msg"), ts: String(t) });
        unauth(source, `ts-${kind}`, `${offsetS} s`, { ...json, ...headers }, body);
      }
      const bad = r.pick(NON_NUMERIC);
      const headers =
        source === "stripe"
          ? {
              "stripe-signature": `t=${bad},v1=${hmac(SECRETS.stripe, `${bad}.${body}`, "hex")}`,
            }
          : source === "hubspot"
            ? hubspotHeaders(body, { tsMs: bad })
            : source === "zendesk"
              ? zendeskHeaders(body, { ts: r.pick(["yesterday", "2024-13-45T99:99:99Z", bad, "0", "now"]) })
              : standardHeaders(body, { id: r.id("msg"), ts: bad });
      unauth(source, "ts-non-numeric", JSON.stringify(bad), { ...json, ...headers }, body);
    }
  }
  // Zendesk: a timestamp longer than the verifier reads, and one in a non-ISO format.
  for (let i = 0; i < 4; i++) {
    const body = validBody("zendesk", r);
    unauth(
      "zendesk",
      "ts-non-numeric",
      "65-char timestamp",
      { ...json, ...zendeskHeaders(body, { ts: "1".repeat(65) }) },
      body,
    );
  }

  // --- Stripe replays: a header recorded earlier, sent again
  for (let i = 0; i < 30; i++) {
    const body = validBody("stripe", r);
    const ageS = r.pick([301, 6 * MIN, 15 * MIN, 3600, 86_400, 30 * 86_400]);
    const old = stripeHeaders(body, { t: nowS() - ageS });
    const variant = i % 3;
    if (variant === 0) unauth("stripe", "stripe-replay", `same body, ${ageS} s old`, { ...json, ...old }, body);
    if (variant === 1) {
      // The old header with its timestamp bumped to now: the signature no longer matches.
      const bumped = (old["stripe-signature"] ?? "").replace(/^t=\d+/, `t=${nowS()}`);
      unauth(
        "stripe",
        "stripe-replay",
        "old signature, timestamp bumped",
        { ...json, "stripe-signature": bumped },
        body,
      );
    }
    if (variant === 2) {
      unauth("stripe", "stripe-replay", "old header, new body", { ...json, ...old }, validBody("stripe", r));
    }
  }

  // --- bodies: truncated JSON, non-JSON, empty, huge numbers, deeply nested
  for (const source of SOURCES) {
    for (let i = 0; i < 6; i++) {
      const kinds: [string, string][] = [
        ["body-truncated-json", truncatedJson(source, r)],
        ["body-non-json", r.pick(NON_JSON)],
        ["body-empty", ""],
        ["body-huge-numbers", hugeNumberBody(source, r)],
        ["body-deep-nesting", deepBody(r)],
      ];
      for (const [category, body] of kinds) {
        if (i < 4) {
          signedBad(source, category, `signed (${body.length} chars)`, body);
          // Stripe's own check refuses to verify an empty payload: a 401 is fine there.
          if (source === "stripe" && body === "") cases.at(-1)?.codes.push("auth_failed");
        } else unauth(source, category, `unsigned (${body.length} chars)`, { ...json }, body);
      }
    }
  }

  // --- content types: text/plain, form-encoded, multipart, none
  for (const source of SOURCES) {
    for (let i = 0; i < 5; i++) {
      const mp = multipart(r);
      const types: [string, string | undefined, string][] = [
        ["text/plain", "text/plain", "just some text"],
        ["form-encoded", "application/x-www-form-urlencoded", `id=evt_${r.string(6)}&type=invoice.paid&created=1`],
        ["multipart", mp.type, mp.body],
        ["none", undefined, `id=${r.string(6)}`],
      ];
      for (const [label, type, text] of types) {
        const ct: Record<string, string> = type ? { "content-type": type } : {};
        // Bytes, not a string, when there is no content type: fetch would add text/plain for a string.
        const asBody = (s: string) => (type ? s : new TextEncoder().encode(s));
        if (i < 3) {
          add({
            category: "content-type",
            label: `${source}: ${label}, signed non-JSON`,
            path: PATH[source],
            headers: { ...validAuth(source, text, r), ...ct },
            body: asBody(text),
            auth: true,
            codes: ["invalid_payload"],
          });
        } else {
          const body = validBody(source, r);
          unauth(source, "content-type", `${label}, unsigned JSON`, { ...ct }, asBody(body));
        }
      }
    }
  }

  // --- bodies over 1 MiB, and lying Content-Length headers
  for (const source of SOURCES) {
    for (let i = 0; i < 4; i++) {
      const pad = "x".repeat(MAX_BODY_BYTES + r.between(1, 64 * 1024));
      const body = `{"id":"evt_big","type":"invoice.paid","pad":"${pad}"}`;
      const signed = i % 2 === 0;
      add({
        category: "body-over-1mib",
        label: `${source}: ${body.length} bytes, ${signed ? "signed" : "unsigned"}`,
        path: PATH[source],
        headers: { ...json, ...(signed ? validAuth(source, body, r) : {}) },
        body,
        auth: signed,
        // /v1/events checks the key before reading; webhooks must read before they can verify.
        codes: source === "app" && !signed ? ["auth_failed"] : ["payload_too_large"],
      });
    }
    for (const declared of [String(MAX_BODY_BYTES + 1), "99999999999", "abc", "-1", "1e9"]) {
      const body = validBody(source, r);
      const declaredTooBig = Number(declared) > MAX_BODY_BYTES;
      add({
        category: "content-length-lies",
        label: `${source}: content-length ${declared}`,
        path: PATH[source],
        headers: { ...json, "content-length": declared },
        body,
        auth: false,
        codes: declaredTooBig && source !== "app" ? ["payload_too_large"] : ["auth_failed"],
      });
    }
  }

  // --- oversized and weird headers
  for (const source of SOURCES) {
    const sig = SIG_HEADER[source];
    for (let i = 0; i < 4; i++) {
      const body = validBody(source, r);
      const good = validAuth(source, body, r);
      const size = r.pick([8 * 1024, 64 * 1024, 256 * 1024]);
      const long = source === "app" ? `Bearer ${r.string(size)}` : r.printable(size);
      unauth(source, "header-very-long", `${size}-char signature`, { ...json, ...withHeader(good, sig, long) }, body);
      // Many signature candidates, none valid.
      const n = r.pick([100, 1_000, 5_000]);
      const many =
        source === "stripe"
          ? `t=${nowS()},${Array.from({ length: n }, () => `v1=${r.hex(32)}`).join(",")}`
          : source === "acme"
            ? Array.from({ length: n }, () => `v1,${r.base64(32)}`).join(" ")
            : source === "app"
              ? Array.from({ length: n }, () => `Bearer ${r.string(26)}`).join(", ")
              : Array.from({ length: n }, () => r.base64(32)).join(",");
      unauth(source, "header-many-candidates", `${n} candidates`, { ...json, ...withHeader(good, sig, many) }, body);
      // Repeated signature headers (fetch joins them with ", ").
      const repeated: [string, string][] = [
        ["content-type", "application/json"],
        ...Object.entries(withHeader(good, sig, undefined)),
        [sig, r.base64(32)],
        [sig, source === "app" ? "Bearer nope" : r.hex(32)],
      ];
      unauth(source, "header-repeated", "two wrong signature headers", repeated, body);
      // Latin-1 (the most fetch lets through) and UTF-8 read as Latin-1 (what a proxy might pass on).
      const latin1 = r.pick([
        "café",
        "ÿþý",
        "naïve¡¿",
        Buffer.from("🚀 emoji", "utf8").toString("latin1"),
        Buffer.from("日本語", "utf8").toString("latin1"),
        "\u0085\u00a0\u00ad",
      ]);
      const header =
        source === "app" ? `Bearer ${SECRETS.appKey.replace("a", "á")}` : `${(good[sig] ?? "").slice(0, 10)}${latin1}`;
      unauth(source, "header-unicode", `latin-1 in ${sig}`, { ...json, ...withHeader(good, sig, header) }, body);
      const tsHeader: Record<Source, string | undefined> = {
        stripe: undefined,
        hubspot: "x-hubspot-request-timestamp",
        zendesk: "x-zendesk-webhook-signature-timestamp",
        acme: "webhook-timestamp",
        app: "idempotency-key",
      };
      const tsName = tsHeader[source];
      if (tsName) {
        add({
          category: "header-unicode",
          label: `${source}: latin-1 in ${tsName}`,
          path: PATH[source],
          headers: { ...json, ...withHeader(good, tsName, `${nowS()}${latin1}`) },
          body,
          // For /v1/events the key is right and only the Idempotency-Key is bad.
          auth: source === "app",
          codes: source === "app" ? ["invalid_request"] : ["auth_failed"],
        });
      }
      // Hundreds of junk headers next to a missing signature.
      const junk = Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`x-junk-${k}`, r.printable(40)]));
      unauth(source, "header-many", "300 junk headers, no signature", { ...json, ...junk }, body);
      // A weird request id: must be replaced, never echoed raw or crash the error path.
      unauth(
        source,
        "header-request-id",
        "weird x-request-id",
        {
          ...json,
          "x-request-id": r.pick(["a".repeat(65), "id with spaces", "<script>", "ünïcode", "../../etc/passwd", "\t"]),
        },
        body,
      );
    }
  }

  // --- unicode edge cases in bodies
  for (const source of SOURCES) {
    for (const [label, snippet] of UNICODE_SNIPPETS) {
      signedBad(source, "body-unicode", `signed, ${label}`, unicodeBody(source, r, snippet, false));
      unauth(source, "body-unicode", `unsigned, ${label}`, { ...json }, unicodeBody(source, r, snippet, true));
    }
    for (const bytes of INVALID_UTF8) {
      const raw = new Uint8Array([...Buffer.from('{"id":"'), ...bytes, ...Buffer.from('","type":7}')]);
      // Signed over what the server decodes (replacement characters), so it authenticates.
      const decoded = Buffer.from(raw).toString("utf8");
      add({
        category: "body-invalid-utf8",
        label: `${source}: bytes ${bytes.map((b) => b.toString(16)).join(" ")}, signed`,
        path: PATH[source],
        headers: { ...json, ...validAuth(source, decoded, r) },
        body: raw,
        auth: true,
        codes: ["invalid_payload"],
      });
      unauth(source, "body-invalid-utf8", "unsigned", { ...json }, raw);
    }
    // A byte-order mark before otherwise valid JSON.
    signedBad(source, "body-unicode", "signed, BOM prefix", `\uFEFF${validBody(source, r)}`);
  }

  // --- signed, malformed, under an event id far longer than any provider sends
  for (let i = 0; i < 4; i++) {
    const id = r.string(r.pick([3_000, 10_000, 20_000]));
    const zBody = shapeInvalid("zendesk", r);
    signedBad("zendesk", "long-event-id", `${id.length}-char invocation id`, zBody, {
      "x-zendesk-webhook-invocation-id": id,
    });
    const aBody = shapeInvalid("acme", r);
    add({
      category: "long-event-id",
      label: `acme: ${id.length}-char webhook-id`,
      path: PATH.acme,
      headers: { ...json, ...standardHeaders(aBody, { id }) },
      body: aBody,
      auth: true,
      codes: ["invalid_payload"],
    });
  }

  // --- unknown sources and paths
  const paths = [
    "/webhooks/paypal",
    "/webhooks/Stripe",
    "/webhooks/STRIPE",
    "/webhooks/app",
    "/webhooks/globex",
    "/webhooks/stripe/extra",
    "/webhooks/",
    "/webhooks",
    "/webhooks/a/b/c",
    "/webhooks/%2e%2e",
    "/webhooks/..%2fv1%2fevents",
    "/webhooks/stripe%00",
    "/webhooks/%00",
    "/webhooks/%ff",
    "/webhooks/%F0%9F%9A%80",
    "/webhooks/%E2%80%AEepirts",
    `/webhooks/${"a".repeat(5_000)}`,
    "/webhooks/acme%20",
    "/webhooks/ACME",
    "/webhooks/_acme",
    "/v1/events/",
    "/v1/events/x",
    "/v1/event",
    "/v2/events",
    "/V1/EVENTS",
    "/v1",
    "/",
    "/healthz",
    "/readyz/x",
    "/webhooks/stripe.json",
    "/%",
    "/webhooks/%",
  ];
  for (const path of paths) {
    const body = validBody("stripe", r);
    add({
      category: "unknown-path",
      label: path.slice(0, 60),
      path,
      headers: { ...json, ...stripeHeaders(body) },
      body,
      auth: false,
      // A trailing slash or dot-segment may still reach a real route, which then refuses the signature.
      codes: ["not_found", "auth_failed"],
    });
  }
  for (let i = 0; i < 30; i++) {
    const name = r.pick(["a", "b", "z", "q"]) + r.string(r.between(0, 39), "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (name === "acme") continue;
    const body = validBody("acme", r);
    add({
      category: "unknown-source",
      label: name,
      path: `/webhooks/${name}`,
      headers: { ...json, ...standardHeaders(body, { id: r.id("msg") }) },
      body,
      auth: false,
      codes: ["not_found"],
    });
  }

  // --- wrong methods (each carrying valid credentials: the method alone must refuse it)
  for (const source of SOURCES) {
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
      const body = validBody(source, r);
      const hasBody = !["GET", "HEAD"].includes(method);
      add({
        category: "wrong-method",
        label: `${method} ${PATH[source]}`,
        method,
        path: PATH[source],
        headers: { ...json, ...validAuth(source, body, r) },
        ...(hasBody ? { body } : {}),
        auth: false,
        codes: ["not_found"],
      });
    }
  }
  for (const method of ["PUT", "DELETE", "PATCH"]) {
    add({
      category: "wrong-method",
      label: `${method} /healthz`,
      method,
      path: "/healthz",
      headers: {},
      auth: false,
      codes: ["not_found"],
    });
  }

  // --- bearer-key variants on /v1/events
  const key = SECRETS.appKey;
  const wrongKeys = [
    `Bearer ${key}x`,
    `Bearer ${key}${key}`,
    `Bearer x${key}`,
    `Bearer ${key.slice(0, -1)}`,
    `Bearer ${key.toUpperCase()}`,
    `Bearer ${key} ${key}`,
    `Bearer ${key}, Bearer ${key}`,
    `Bearer ${key};`,
    `Bearer "${key}"`,
    `Bearer\t${key}`,
    `Bearer`,
    `Bearer `,
    `Bear ${key}`,
    `Bearerr ${key}`,
    `Basic ${Buffer.from(`${key}:`).toString("base64")}`,
    `Digest ${key}`,
    key,
    `Bearer ${Buffer.from(key).toString("base64")}`,
    `Bearer sy_old_key_1234`,
    `Bearer ${key.replace("_", "-")}`,
  ];
  for (const authorization of wrongKeys) {
    for (let i = 0; i < 2; i++) {
      unauth(
        "app",
        "bearer-wrong",
        JSON.stringify(authorization.slice(0, 40)),
        { ...json, authorization, "idempotency-key": r.id("idem") },
        validBody("app", r),
      );
    }
  }
  for (let i = 0; i < 4; i++) {
    unauth(
      "app",
      "bearer-wrong",
      "key in x-api-key",
      { ...json, "x-api-key": key, "idempotency-key": r.id("idem") },
      validBody("app", r),
    );
    add({
      category: "bearer-wrong",
      label: "app: key in the query string",
      path: `${PATH.app}?api_key=${key}&access_token=${key}`,
      headers: { ...json, "idempotency-key": r.id("idem") },
      body: validBody("app", r),
      auth: false,
      codes: ["auth_failed"],
    });
  }
  // A valid key in a lenient spelling authenticates; the request is then refused for what it carries.
  const lenient = [`bearer ${key}`, `BEARER ${key}`, `Bearer    ${key}`, `  Bearer ${key}  `, `bEaReR  ${key}`];
  for (const authorization of lenient) {
    const idems: [string, string | undefined][] = [
      ["missing Idempotency-Key", undefined],
      ["empty Idempotency-Key", ""],
      ["256-char Idempotency-Key", "k".repeat(256)],
      ["Idempotency-Key with a space", "a b"],
      ["latin-1 Idempotency-Key", "clé"],
    ];
    for (const [label, idem] of idems) {
      add({
        category: "bearer-lenient",
        label: `${JSON.stringify(authorization.slice(0, 12))}, ${label}`,
        path: PATH.app,
        headers: { ...json, authorization, ...(idem === undefined ? {} : { "idempotency-key": idem }) },
        body: validBody("app", r),
        auth: true,
        codes: ["invalid_request"],
      });
    }
    const bad = r.pick([
      JSON.stringify({ type: "user.teleported", data: { userId: "u" } }),
      JSON.stringify({ type: "user.signed_up", data: { userId: "u", email: "not-an-email" } }),
      JSON.stringify({ type: "support.requested", data: { userId: "u", subject: "", message: "x" } }),
      JSON.stringify({ type: "user.logged_in", data: { userId: "u" } }),
      JSON.stringify({ type: "user.signed_up", data: { userId: "x".repeat(201), email: "a@example.com" } }),
      "[]",
      "null",
    ]);
    for (let i = 0; i < 3; i++) {
      add({
        category: "bearer-lenient",
        label: `${JSON.stringify(authorization.slice(0, 12))}, malformed event`,
        path: PATH.app,
        headers: { ...json, authorization, "idempotency-key": r.id("idem") },
        body: bad,
        auth: true,
        codes: ["invalid_payload"],
      });
    }
  }

  return cases;
}

/**
 * Signed, well-shaped events carrying hostile content. The payload is valid, so a 2xx is fine; a
 * 4xx is fine; a 5xx is not. These may record and enqueue, so they run after the main suite.
 */
function generateEdgeProbes(seed: number): Case[] {
  const r = rng(seed);
  const json = { "content-type": "application/json" };
  const probes: Case[] = [];
  const probe = (source: Source, label: string, body: string) =>
    probes.push({
      category: "edge-probe",
      label: `${source}: ${label}`,
      method: "POST",
      path: PATH[source],
      headers: { ...json, ...validAuth(source, body, r) },
      body,
      auth: true,
      codes: KNOWN_4XX,
      allow2xx: true,
    });
  const stripeWith = (note: string, id = r.id("evt")) =>
    `{"id":"${id}","object":"event","type":"invoice.paid","created":${nowS()},"data":{"object":{"id":"in_1","customer":"cus_1","note":"${note}"}}}`;
  const zendeskWith = (detail: string) =>
    `{"id":"${r.id("zen")}","type":"zen:event-type:ticket.created","detail":${detail}}`;
  const appWith = (name: string) =>
    `{"type":"user.signed_up","data":{"userId":"${r.id("u")}","email":"edge@example.com","name":"${name}"}}`;

  for (const [label, snippet] of UNICODE_SNIPPETS) {
    if (snippet.includes("\u0000")) continue; // a raw NUL cannot be inside a JSON string: it is malformed
    probe("stripe", label, stripeWith(snippet));
    probe("app", label, appWith(snippet));
    probe("zendesk", label, zendeskWith(`{"subject":"${snippet}"}`));
  }
  probe("stripe", "created 1e300", stripeWith("x").replace(/"created":\d+/, '"created":1e300'));
  probe("hubspot", "eventId 1e300", JSON.stringify([{ eventId: 1e300, subscriptionType: "contact.creation" }]));
  probe(
    "hubspot",
    "100 events, one batch",
    JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ eventId: 9e8 + i, subscriptionType: "contact.creation" }))),
  );
  for (const depth of [1_000, 100_000]) {
    probe("zendesk", `detail nested ${depth} deep`, zendeskWith(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`));
  }
  probe("stripe", "10,000-char event id", stripeWith("x", `evt_${r.string(10_000)}`));
  probe("acme", "type of 5,000 chars", JSON.stringify({ type: r.string(5_000), data: {} }));
  probe("stripe", "type of 5,000 chars", stripeWith("x").replace('"invoice.paid"', `"${r.string(5_000)}"`));
  probe("acme", "type of 1,000 chars", JSON.stringify({ type: r.string(1_000), data: {} }));
  return probes;
}

// ---------------------------------------------------------------------------------------------

interface Outcome {
  c: Case;
  status: number;
  requestId: string | undefined;
  problems: string[];
}

async function send(h: Harness, c: Case, requestId: string): Promise<Outcome> {
  const headers = new Headers(c.headers as [string, string][] | Record<string, string>);
  if (!headers.has("x-request-id")) headers.set("x-request-id", requestId);
  const res = await h.app.request(`${BASE}${c.path}`, {
    method: c.method,
    headers,
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  const problems: string[] = [];
  const text = await res.text();
  const headerId = res.headers.get("x-request-id") ?? undefined;
  for (const secret of Object.values(SECRETS)) if (text.includes(secret)) problems.push("response echoes a secret");
  if (c.allow2xx && res.status >= 200 && res.status < 300)
    return { c, status: res.status, requestId: headerId, problems };
  if (res.status < 400 || res.status > 499) problems.push(`status ${res.status}: ${text.slice(0, 200)}`);
  if (c.method === "HEAD") return { c, status: res.status, requestId: headerId, problems };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`body is not JSON: ${text.slice(0, 120)}`);
    return { c, status: res.status, requestId: headerId, problems };
  }
  const error = (body as { error?: Record<string, unknown> })?.error;
  const shapeOk =
    Object.keys(body as object).length === 1 &&
    error !== undefined &&
    Object.keys(error).sort().join(",") === "code,message,requestId" &&
    typeof error.code === "string" &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    typeof error.requestId === "string" &&
    error.requestId.length > 0;
  if (!shapeOk) problems.push(`not the error shape: ${text.slice(0, 200)}`);
  const code = error?.code as ErrorCode | undefined;
  if (code && !KNOWN_4XX.includes(code)) problems.push(`unknown code ${code}`);
  if (code && ERROR_STATUS[code] !== res.status) problems.push(`code ${code} with status ${res.status}`);
  if (code && !c.codes.includes(code)) problems.push(`code ${code}, expected ${c.codes.join("|")}: ${error?.message}`);
  if (error?.requestId !== headerId) problems.push(`requestId ${error?.requestId} != header ${headerId}`);
  return { c, status: res.status, requestId: (error?.requestId as string | undefined) ?? headerId, problems };
}

interface Run {
  problems: string[];
  summary: string;
  checkpoints: number;
}

/**
 * Sends `cases` CONCURRENCY at a time, checking /healthz (and that no job or accepted row
 * appeared) every HEALTH_EVERY requests, then checks every new row against the request that
 * wrote it. `strict`: no job and no non-rejected row may appear at all.
 */
async function runCases(h: Harness, cases: Case[], runId: string, strict: boolean): Promise<Run> {
  const rowIdsBefore = new Set((await h.eventRows()).map((row) => row.id));
  const jobsBefore = await h.totalJobs();
  const logsBefore = h.logs.length;
  const outcomes: Outcome[] = new Array(cases.length);
  const checkpoints: { after: number; health: number; jobs: number; accepted: number }[] = [];
  let next = 0;
  let done = 0;
  const checkpoint = async () => {
    const after = done;
    const health = (await h.app.request(`${BASE}/healthz`)).status;
    const fresh = (await h.eventRows()).filter((row) => !rowIdsBefore.has(row.id));
    checkpoints.push({
      after,
      health,
      jobs: (await h.totalJobs()) - jobsBefore,
      accepted: fresh.filter((row) => row.status !== "rejected").length,
    });
  };
  const pending: Promise<void>[] = [];
  const worker = async () => {
    for (;;) {
      const i = next++;
      const c = cases[i];
      if (!c) return;
      try {
        outcomes[i] = await send(h, c, `${runId}-${i}`);
      } catch (err) {
        outcomes[i] = { c, status: 0, requestId: undefined, problems: [`request threw: ${String(err)}`] };
      }
      done += 1;
      if (done % HEALTH_EVERY === 0) pending.push(checkpoint());
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await Promise.all(pending);
  await checkpoint();
  const tookMs = Date.now() - started;

  const problems: string[] = [];
  const byRequestId = new Map(outcomes.map((o) => [o.requestId, o]));
  const fresh = (await h.eventRows()).filter((row) => !rowIdsBefore.has(row.id));
  for (const row of fresh) {
    const o = byRequestId.get(row.requestId ?? undefined);
    if (!o) problems.push(`row ${row.id} (${row.source}/${row.status}) from no known request (${row.requestId})`);
    else if (!o.c.auth) problems.push(`[${o.c.category}] ${o.c.label}: unauthenticated request wrote a row`);
    else if (row.status !== "rejected" && !o.c.allow2xx)
      problems.push(`[${o.c.category}] ${o.c.label}: row with status ${row.status}`);
  }
  const jobs = (await h.totalJobs()) - jobsBefore;
  if (strict && jobs !== 0) problems.push(`${jobs} job(s) enqueued by bad input`);
  for (const cp of checkpoints) {
    if (cp.health !== 200) problems.push(`/healthz answered ${cp.health} after ${cp.after} requests`);
    if (strict && cp.jobs !== 0) problems.push(`${cp.jobs} job(s) after ${cp.after} requests`);
    if (strict && cp.accepted !== 0) problems.push(`${cp.accepted} non-rejected row(s) after ${cp.after} requests`);
  }
  for (const o of outcomes) for (const p of o.problems) problems.push(`[${o.c.category}] ${o.c.label}: ${p}`);
  for (const line of h.logs.slice(logsBefore)) {
    if (/"level":"error"/.test(line)) problems.push(`error logged: ${line.slice(0, 400)}`);
  }

  const counts = new Map<string, Map<number, number>>();
  for (const o of outcomes) {
    const byStatus = counts.get(o.c.category) ?? new Map<number, number>();
    byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    counts.set(o.c.category, byStatus);
  }
  const summary = [
    `${cases.length} requests in ${tookMs} ms, ${checkpoints.length} health checks, ${fresh.length} new rows, ${jobs} new jobs`,
    ...[...counts.entries()].map(([category, byStatus]) => {
      const total = [...byStatus.values()].reduce((a, b) => a + b, 0);
      const statuses = [...byStatus.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(" ");
      return `  ${category.padEnd(24)} ${String(total).padStart(4)}  (${statuses})`;
    }),
  ].join("\n");
  return { problems, summary, checkpoints: checkpoints.length };
}

describe("bad input: a generated suite of malformed requests", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "bad_input" });
  });
  afterAll(() => h.close());

  const all = generateCases(SEED);

  it("answers every one with a known 4xx in the error shape, writes nothing unauthenticated, and stays healthy", async () => {
    const cases = all;
    expect(cases.length).toBeGreaterThanOrEqual(1_000);
    const run = await runCases(h, cases, "bad", true);
    process.stdout.write(`bad-input summary (seed ${SEED.toString(16)})\n${run.summary}\n`);
    expect(run.checkpoints).toBeGreaterThanOrEqual(Math.floor(cases.length / HEALTH_EVERY));
    expect(run.problems, `${run.problems.length} problem(s)\n${run.summary}`).toEqual([]);
  });

  it("never answers 5xx to a signed, well-shaped event with hostile content", async () => {
    const probes = generateEdgeProbes(SEED + 1);
    const run = await runCases(h, probes, "edge", false);
    expect(run.problems, `${run.problems.length} problem(s)\n${run.summary}`).toEqual([]);
  });
});
