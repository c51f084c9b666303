import type { RawRequest } from "../env-types.ts";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";

/**
 * HubSpot signature v3. The URI is the one HubSpot called; behind a proxy, INGEST_PUBLIC_URL says
 * what that was, since the Host header cannot be trusted for it.
 */
export function verifyHubspot(req: RawRequest, secrets: readonly string[], publicUrl?: string): boolean {
  const signature = req.headers.get("x-hubspot-signature-v3");
  const timestamp = req.headers.get("x-hubspot-request-timestamp");
  if (!signature || !timestamp || !/^\d{1,15}$/.test(timestamp)) return false;
  if (!withinWindow(Number(timestamp), req.receivedAt)) return false;
  const url = new URL(req.url);
  const uri = publicUrl ? `${publicUrl.replace(/\/$/, "")}${url.pathname}${url.search}` : url.toString();
  const content = `${req.method}${uri}${req.body}${timestamp}`;
  return anySecret(secrets, (secret) => safeEqual(hmacBase64(secret, content), signature));
}
