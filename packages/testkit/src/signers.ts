import { createHmac, randomUUID } from "node:crypto";
import Stripe from "stripe";

export interface Signed {
  body: string;
  headers: Record<string, string>;
}

const json = { "content-type": "application/json" };

/** Signs exactly as Stripe does, with the stripe package's own test helper. */
export function signStripe(opts: { payload: unknown; secret: string; timestamp?: number }): Signed {
  return signStripeBody({ ...opts, body: JSON.stringify(opts.payload) });
}

/** Signs any text, JSON or not, as Stripe would have signed whatever it sent. */
export function signStripeBody(opts: { body: string; secret: string; timestamp?: number }): Signed {
  const header = Stripe.webhooks.generateTestHeaderString({
    payload: opts.body,
    secret: opts.secret,
    ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
  });
  return { body: opts.body, headers: { ...json, "stripe-signature": header } };
}

/** HubSpot v3: base64 HMAC-SHA256 of method + uri + body + timestamp (ms). */
export function signHubspot(opts: {
  payload: unknown;
  secret: string;
  uri: string;
  method?: string;
  timestampMs?: number;
}): Signed {
  const body = JSON.stringify(opts.payload);
  const ts = String(opts.timestampMs ?? Date.now());
  const signature = createHmac("sha256", opts.secret)
    .update(`${opts.method ?? "POST"}${opts.uri}${body}${ts}`)
    .digest("base64");
  return { body, headers: { ...json, "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": ts } };
}

/** Zendesk: base64 HMAC-SHA256 of timestamp + body. */
export function signZendesk(opts: { payload: unknown; secret: string; timestamp?: string }): Signed {
  const body = JSON.stringify(opts.payload);
  const ts = opts.timestamp ?? new Date().toISOString();
  const signature = createHmac("sha256", opts.secret).update(`${ts}${body}`).digest("base64");
  return {
    body,
    headers: { ...json, "x-zendesk-webhook-signature": signature, "x-zendesk-webhook-signature-timestamp": ts },
  };
}

/** Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed by the decoded whsec_ secret. */
export function signStandardWebhook(opts: {
  payload: unknown;
  secret: string;
  id?: string;
  timestamp?: number;
}): Signed {
  const body = JSON.stringify(opts.payload);
  const id = opts.id ?? `msg_${randomUUID()}`;
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(opts.secret.replace(/^whsec_/, ""), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64");
  return {
    body,
    headers: { ...json, "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${signature}` },
  };
}

export function appEventRequest(opts: { payload: unknown; apiKey: string; idempotencyKey?: string }): Signed {
  return {
    body: JSON.stringify(opts.payload),
    headers: {
      ...json,
      authorization: `Bearer ${opts.apiKey}`,
      "idempotency-key": opts.idempotencyKey ?? randomUUID(),
    },
  };
}
