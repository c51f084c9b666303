import { StandardWebhookShape } from "@switchyard/events";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";
import type { SignInput, SourceDocs } from "./define.ts";
import { parseWith } from "./parse.ts";
import type { Parsed, RawRequest } from "./request.ts";

/** Standard Webhooks: any `v1,<sig>` in the space-separated header may match (senders rotate too). */
export function verifyStandardWebhook(req: RawRequest, secrets: readonly string[]): boolean {
  const id = req.headers.get("webhook-id");
  const timestamp = req.headers.get("webhook-timestamp");
  const header = req.headers.get("webhook-signature");
  if (!id || !timestamp || !header || !/^\d{1,12}$/.test(timestamp)) return false;
  if (!withinWindow(Number(timestamp) * 1000, req.receivedAt)) return false;
  const content = `${id}.${timestamp}.${req.body}`;
  const offered = header
    .split(" ")
    .filter((part) => part.startsWith("v1,"))
    .map((part) => part.slice(3));
  return anySecret(secrets, (secret) => {
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    if (key.length === 0) return false;
    const expected = hmacBase64(key, content);
    return offered.some((sig) => safeEqual(expected, sig));
  });
}

/**
 * Every source without a scheme of its own: switched on by WEBHOOK_SECRET_<SOURCE> (parsed by
 * @switchyard/config), so one family serves any number of names.
 */
export const standardWebhooks = {
  title: "Standard Webhooks",
  toleranceSeconds: 300,
  secretVarFor: (source: string) => `WEBHOOK_SECRET_${source.toUpperCase()}`,
  verify: verifyStandardWebhook,
  parse(req: RawRequest): Parsed {
    const id = req.headers.get("webhook-id") ?? "";
    return parseWith(
      req.body,
      StandardWebhookShape,
      (e, raw) => [{ sourceEventId: id, type: e.type, payload: raw }],
      id,
    );
  },
  sign({ body, secret, id = `msg_${Date.now()}`, now = Date.now() }: SignInput): Record<string, string> {
    const ts = String(Math.floor(now / 1000));
    const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
    return {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": ts,
      "webhook-signature": `v1,${hmacBase64(key, `${id}.${ts}.${body}`)}`,
    };
  },
  docs: {
    summary: "Any other source, signed with Standard Webhooks",
    scheme: 'space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>", keyed by the decoded whsec_ secret.',
    schemeName: "standardWebhooks",
    header: "webhook-signature",
    parameters: [
      { name: "webhook-id", description: "The message id, recorded as the event's source id.", required: true },
      {
        name: "webhook-timestamp",
        description: "Seconds since the epoch.",
        required: true,
        pattern: "^[0-9]{1,12}$",
      },
    ],
    body: { name: "StandardWebhook", schema: StandardWebhookShape },
  } satisfies SourceDocs,
};
