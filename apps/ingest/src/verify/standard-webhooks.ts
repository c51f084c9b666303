import type { RawRequest } from "../env-types.ts";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";

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
