import { list, secret } from "@switchyard/env";
import { ZendeskEventShape } from "@switchyard/events";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";
import { defineSource } from "./define.ts";
import { parseWith } from "./parse.ts";
import type { RawRequest } from "./request.ts";

/** Zendesk signs timestamp + body; Zendesk sets no window, so ours is five minutes. */
export function verifyZendesk(req: RawRequest, secrets: readonly string[]): boolean {
  const signature = req.headers.get("x-zendesk-webhook-signature");
  const timestamp = req.headers.get("x-zendesk-webhook-signature-timestamp");
  if (!signature || !timestamp || timestamp.length > 64) return false;
  if (!withinWindow(Date.parse(timestamp), req.receivedAt)) return false;
  const content = `${timestamp}${req.body}`;
  return anySecret(secrets, (secret) => safeEqual(hmacBase64(secret, content), signature));
}

export const zendesk = defineSource({
  name: "zendesk",
  title: "Zendesk",
  env: { ZENDESK_WEBHOOK_SECRET: secret(list()) },
  secretVar: "ZENDESK_WEBHOOK_SECRET",
  toleranceSeconds: 300,
  setup:
    "Zendesk Admin Center → Apps and integrations → Webhooks → Create webhook (trigger or event subscription); its signing secret.",
  secrets: (c) => c.ZENDESK_WEBHOOK_SECRET,
  verify: (req, c) => verifyZendesk(req, c.ZENDESK_WEBHOOK_SECRET),
  parse: (req) =>
    parseWith(
      req.body,
      ZendeskEventShape,
      (e, raw) => [{ sourceEventId: e.id, type: e.type, payload: raw }],
      req.headers.get("x-zendesk-webhook-invocation-id") ?? undefined,
    ),
  sign({ body, secret, now = Date.now() }) {
    const ts = new Date(now).toISOString();
    return {
      "content-type": "application/json",
      "x-zendesk-webhook-signature": hmacBase64(secret, `${ts}${body}`),
      "x-zendesk-webhook-signature-timestamp": ts,
    };
  },
  docs: {
    summary: "Zendesk webhook",
    scheme: "base64 HMAC-SHA256 of X-Zendesk-Webhook-Signature-Timestamp + body.",
    schemeName: "zendeskSignature",
    header: "X-Zendesk-Webhook-Signature",
    parameters: [
      { name: "X-Zendesk-Webhook-Signature-Timestamp", description: "ISO time the signature covers.", required: true },
      {
        name: "X-Zendesk-Webhook-Invocation-Id",
        description: "Used as the event id when the body has none.",
        required: false,
      },
    ],
    body: { name: "ZendeskEvent", schema: ZendeskEventShape },
  },
});
