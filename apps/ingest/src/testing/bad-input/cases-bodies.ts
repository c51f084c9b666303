import { MAX_BODY_BYTES } from "../../raw-body.ts";
import { validAuth } from "./auth.ts";
import {
  deepBody,
  hugeNumberBody,
  INVALID_UTF8,
  multipart,
  NON_JSON,
  shapeInvalid,
  truncatedJson,
  UNICODE_SNIPPETS,
  unicodeBody,
  validBody,
} from "./bodies.ts";
import { type Gen, PATH, SOURCES, standardHeaders } from "./requests.ts";

/** Bodies: truncated JSON, non-JSON, empty, huge numbers, deeply nested. */
export function bodyCases({ r, json, unauth, signedBad, cases }: Gen): void {
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
}

/** Content types: text/plain, form-encoded, multipart, none. */
export function contentTypeCases({ r, add, unauth }: Gen): void {
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
}

/** Bodies over 1 MiB, and lying Content-Length headers. */
export function sizeCases({ r, json, add }: Gen): void {
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
}

/** Unicode edge cases and invalid UTF-8 in bodies. */
export function unicodeCases({ r, json, add, unauth, signedBad }: Gen): void {
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
}

/** Signed, malformed, under an event id far longer than any provider sends. */
export function longEventIdCases({ r, json, add, signedBad }: Gen): void {
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
}
