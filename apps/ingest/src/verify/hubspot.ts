import type { RawRequest } from "../env-types.ts";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";

/** HubSpot signs the URI with these escapes decoded (and only these). */
const HUBSPOT_DECODE: Record<string, string> = {
  "%3A": ":",
  "%2F": "/",
  "%3F": "?",
  "%40": "@",
  "%21": "!",
  "%24": "$",
  "%27": "'",
  "%28": "(",
  "%29": ")",
  "%2A": "*",
  "%2C": ",",
  "%3B": ";",
};

/** Path and query exactly as the request line had them; `new URL` would re-encode them. */
function pathAndQuery(url: string): string {
  const afterScheme = url.indexOf("//");
  const slash = url.indexOf("/", afterScheme === -1 ? 0 : afterScheme + 2);
  return slash === -1 ? "/" : url.slice(slash);
}

/**
 * HubSpot signature v3. The URI is the one HubSpot called; behind a proxy, INGEST_PUBLIC_URL says
 * what that was, since the Host header cannot be trusted for it.
 */
export function verifyHubspot(req: RawRequest, secrets: readonly string[], publicUrl?: string): boolean {
  const signature = req.headers.get("x-hubspot-signature-v3");
  const timestamp = req.headers.get("x-hubspot-request-timestamp");
  if (!signature || !timestamp || !/^\d{1,15}$/.test(timestamp)) return false;
  if (!withinWindow(Number(timestamp), req.receivedAt)) return false;
  const base = publicUrl ? publicUrl.replace(/\/$/, "") : new URL(req.url).origin;
  const uri = `${base}${pathAndQuery(req.url)}`.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => HUBSPOT_DECODE[m.toUpperCase()] ?? m,
  );
  const content = `${req.method}${uri}${req.body}${timestamp}`;
  return anySecret(secrets, (secret) => safeEqual(hmacBase64(secret, content), signature));
}
