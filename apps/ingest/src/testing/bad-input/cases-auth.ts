import { SECRETS } from "../harness.ts";
import { validAuth, withHeader, wrongSchemeAuth, wrongSecretAuth } from "./auth.ts";
import { validBody } from "./bodies.ts";
import {
  type Gen,
  hmac,
  hubspotHeaders,
  MIN,
  nowS,
  PATH,
  SIG_HEADER,
  SOURCES,
  standardHeaders,
  stripeHeaders,
  WEBHOOK_SOURCES,
  zendeskHeaders,
} from "./requests.ts";

/** Signatures: missing, empty, truncated, wrong secret, wrong scheme, garbage, cross-source. */
export function signatureCases({ r, json, unauth }: Gen): void {
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
}

/** Timestamps: stale, future, non-numeric, and Zendesk's overlong and non-ISO ones. */
export function timestampCases({ r, json, unauth }: Gen): void {
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
}

/** Stripe replays: a header recorded earlier, sent again. */
export function replayCases({ r, json, unauth }: Gen): void {
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
}

/** Bearer-key variants on /v1/events. */
export function bearerCases({ r, json, add, unauth }: Gen): void {
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
}
