import { list, secret } from "@switchyard/env";
import { HubspotBatchShape } from "@switchyard/events";
import { anySecret, hmacBase64, safeEqual, withinWindow } from "./compare.ts";
import { defineSource } from "./define.ts";
import { parseWith } from "./parse.ts";
import type { RawRequest } from "./request.ts";

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

function signedUri(url: string, publicUrl?: string): string {
  const base = publicUrl ? publicUrl.replace(/\/$/, "") : new URL(url).origin;
  return `${base}${pathAndQuery(url)}`.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => HUBSPOT_DECODE[m.toUpperCase()] ?? m,
  );
}

/**
 * Without INGEST_PUBLIC_URL the signed URL would come from the request's Host header, which whoever
 * sends the request chooses: a signature computed over `http://evil.example/…` sent with
 * `Host: evil.example` would verify. Only development accepts that.
 */
export const HUBSPOT_PUBLIC_URL_REFUSAL =
  "HUBSPOT_CLIENT_SECRET is set but INGEST_PUBLIC_URL is not: HubSpot signs the full URL it calls, and without INGEST_PUBLIC_URL that URL would be taken from the request's Host header, which any sender chooses. Set INGEST_PUBLIC_URL to the public URL HubSpot calls (https://hooks.example.com), or unset HUBSPOT_CLIENT_SECRET";

const hostTrusted = (c: { NODE_ENV: string; INGEST_PUBLIC_URL?: string | undefined }) =>
  Boolean(c.INGEST_PUBLIC_URL) || c.NODE_ENV === "development";

/**
 * HubSpot signature v3. The URI is the one HubSpot called; INGEST_PUBLIC_URL says what that was,
 * since the Host header cannot be trusted for it (outside development nothing verifies without it).
 */
export function verifyHubspot(req: RawRequest, secrets: readonly string[], publicUrl?: string): boolean {
  const signature = req.headers.get("x-hubspot-signature-v3");
  const timestamp = req.headers.get("x-hubspot-request-timestamp");
  if (!signature || !timestamp || !/^\d{1,15}$/.test(timestamp)) return false;
  if (!withinWindow(Number(timestamp), req.receivedAt)) return false;
  const content = `${req.method}${signedUri(req.url, publicUrl)}${req.body}${timestamp}`;
  return anySecret(secrets, (secret) => safeEqual(hmacBase64(secret, content), signature));
}

export const hubspot = defineSource({
  name: "hubspot",
  title: "HubSpot",
  env: { HUBSPOT_CLIENT_SECRET: secret(list()) },
  secretVar: "HUBSPOT_CLIENT_SECRET",
  toleranceSeconds: 300,
  setup:
    "HubSpot developer account → your app → Webhooks: target URL, then subscribe; the app's client secret signs (Auth → Client secret). Set INGEST_PUBLIC_URL to the URL HubSpot calls.",
  secrets: (c) => c.HUBSPOT_CLIENT_SECRET,
  verify: (req, c) => hostTrusted(c) && verifyHubspot(req, c.HUBSPOT_CLIENT_SECRET, c.INGEST_PUBLIC_URL),
  startCheck: (c) => {
    if (c.HUBSPOT_CLIENT_SECRET.length === 0 || c.INGEST_PUBLIC_URL) return undefined;
    return c.NODE_ENV === "development"
      ? {
          warn: "HubSpot: INGEST_PUBLIC_URL is not set, so the signed URL is taken from each request's Host header; acceptable in development only (outside it ingest refuses to start)",
        }
      : { refuse: HUBSPOT_PUBLIC_URL_REFUSAL };
  },
  parse: (req) =>
    parseWith(req.body, HubspotBatchShape, (batch, raw) =>
      batch.map((e, i) => ({
        sourceEventId: String(e.eventId),
        type: e.subscriptionType,
        payload: (raw as unknown[])[i],
      })),
    ),
  sign({ body, secret, url, method = "POST", now = Date.now() }) {
    const ts = String(now);
    const signature = hmacBase64(secret, `${method}${signedUri(url)}${body}${ts}`);
    return {
      "content-type": "application/json",
      "x-hubspot-signature-v3": signature,
      "x-hubspot-request-timestamp": ts,
    };
  },
  docs: {
    summary: "HubSpot webhook (v3 signature)",
    scheme: "base64 HMAC-SHA256 of method + URI + body + X-HubSpot-Request-Timestamp.",
    schemeName: "hubspotSignatureV3",
    header: "X-HubSpot-Signature-v3",
    parameters: [
      {
        name: "X-HubSpot-Request-Timestamp",
        description: "Milliseconds since the epoch.",
        required: true,
        pattern: "^[0-9]{1,15}$",
      },
    ],
    body: { name: "HubspotBatch", schema: HubspotBatchShape },
    notes: "Each event of the batch is recorded on its own. The signed URI is INGEST_PUBLIC_URL + path when set.",
  },
});
