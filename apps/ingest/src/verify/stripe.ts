import { createHmac, timingSafeEqual } from "node:crypto";
import type { RawRequest } from "../env-types.ts";
import { anySecret, withinWindow } from "./compare.ts";

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
