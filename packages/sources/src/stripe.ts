import { createHmac, timingSafeEqual } from "node:crypto";
import { list, secret } from "@switchyard/env";
import { StripeEventShape } from "@switchyard/events";
import { anySecret, withinWindow } from "./compare.ts";
import { defineSource } from "./define.ts";
import { parseWith } from "./parse.ts";
import type { RawRequest } from "./request.ts";

export const STRIPE_TOLERANCE_SECONDS = 300;

/** `t=…,v1=…,v1=…`: one timestamp and every v1 signature (two while Stripe rolls a secret). */
function parseHeader(header: string): { t: number; v1: Buffer[] } | undefined {
  let t: number | undefined;
  const v1: Buffer[] = [];
  for (const item of header.split(",")) {
    const eq = item.indexOf("=");
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === "t") {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) {
      v1.push(Buffer.from(value, "hex"));
    }
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

/**
 * Stripe's scheme (HMAC-SHA256 of `t.body`, hex, under `v1`), checked here on the raw body rather
 * than by the SDK: the SDK's check is asynchronous and refuses only old timestamps, where this
 * one also refuses future ones, and costs a fraction per request. The age is measured from when
 * the request arrived.
 */
export function verifyStripe(req: RawRequest, secrets: readonly string[]): boolean {
  const header = req.headers.get("stripe-signature");
  const parsed = header && header.length <= 1024 ? parseHeader(header) : undefined;
  if (!parsed || !withinWindow(parsed.t * 1000, req.receivedAt, STRIPE_TOLERANCE_SECONDS * 1000)) return false;
  const content = `${parsed.t}.${req.body}`;
  return anySecret(secrets, (secret) => {
    const expected = createHmac("sha256", secret).update(content).digest();
    let ok = false;
    // Both sides are 32 bytes (the header was checked for 64 hex digits), so compare directly.
    for (const given of parsed.v1) ok = timingSafeEqual(expected, given) || ok;
    return ok;
  });
}

/**
 * The connected account an event came from (Stripe sets `account` on events from a Connect
 * endpoint), or undefined for the platform's own. The substring test keeps JSON.parse off the
 * path of the platform's events, which never carry the key.
 */
export function connectedAccountOf(body: string): string | undefined {
  if (!body.includes('"account"')) return undefined;
  try {
    const account = (JSON.parse(body) as { account?: unknown }).account;
    return typeof account === "string" ? account : undefined;
  } catch {
    return undefined;
  }
}

export const stripe = defineSource({
  name: "stripe",
  title: "Stripe",
  env: { STRIPE_WEBHOOK_SECRET: secret(list()), STRIPE_CONNECT_WEBHOOK_SECRET: secret(list()) },
  secretVar: "STRIPE_WEBHOOK_SECRET",
  toleranceSeconds: STRIPE_TOLERANCE_SECONDS,
  setup:
    "Stripe Dashboard → Developers → Webhooks → Add endpoint; the endpoint's signing secret (whsec_…). For a marketplace, a second endpoint listening to events on connected accounts, on the same URL; its secret goes in STRIPE_CONNECT_WEBHOOK_SECRET. Locally: `stripe listen --forward-to localhost:3000/webhooks/stripe` prints the secret to use.",
  secrets: (c) => [...c.STRIPE_WEBHOOK_SECRET, ...(c.STRIPE_CONNECT_WEBHOOK_SECRET ?? [])],
  // Each endpoint has its own secret: an event from a connected account is only taken signed
  // with the Connect endpoint's, and the platform's own only with the platform's.
  verify: (req, c) =>
    verifyStripe(req, connectedAccountOf(req.body) ? (c.STRIPE_CONNECT_WEBHOOK_SECRET ?? []) : c.STRIPE_WEBHOOK_SECRET),
  parse: (req) =>
    parseWith(req.body, StripeEventShape, (e, raw) => [{ sourceEventId: e.id, type: e.type, payload: raw }]),
  sign({ body, secret, now = Date.now() }) {
    const t = Math.floor(now / 1000);
    const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    return { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` };
  },
  docs: {
    summary: "Stripe webhook",
    scheme:
      't=<seconds>,v1=<hex HMAC-SHA256 of "t.body">; any v1 may match any secret (rotation). An event carrying `account` (from a connected account) is checked against STRIPE_CONNECT_WEBHOOK_SECRET only.',
    schemeName: "stripeSignature",
    header: "Stripe-Signature",
    parameters: [],
    body: { name: "StripeEvent", schema: StripeEventShape },
  },
});
