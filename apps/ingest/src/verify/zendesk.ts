import type { RawRequest } from "../env-types.ts";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";

/** Zendesk signs timestamp + body; Zendesk sets no window, so ours is five minutes. */
export function verifyZendesk(req: RawRequest, secrets: readonly string[]): boolean {
  const signature = req.headers.get("x-zendesk-webhook-signature");
  const timestamp = req.headers.get("x-zendesk-webhook-signature-timestamp");
  if (!signature || !timestamp || timestamp.length > 64) return false;
  if (!withinWindow(Date.parse(timestamp), req.receivedAt)) return false;
  const content = `${timestamp}${req.body}`;
  return anySecret(secrets, (secret) => safeEqual(hmacBase64(secret, content), signature));
}
