import { createHmac } from "node:crypto";
import { SECRETS } from "../harness.ts";
import {
  hmac,
  hubspotHeaders,
  nowS,
  type Rng,
  type Source,
  standardHeaders,
  stripeHeaders,
  zendeskHeaders,
} from "./requests.ts";

/** Headers that authenticate `body` for `source` (valid secret, fresh timestamp). */
export function validAuth(source: Source, body: string, r: Rng): Record<string, string> {
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

export function wrongSecretAuth(source: Source, body: string, r: Rng): Record<string, string> {
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

export function wrongSchemeAuth(source: Source, body: string, r: Rng): Record<string, string> {
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

export function withHeader(headers: Record<string, string>, name: string, value: string | undefined) {
  const out = { ...headers };
  if (value === undefined) delete out[name];
  else out[name] = value;
  return out;
}
