import Stripe from "stripe";
import type { RawRequest } from "../env-types.ts";
import { withinWindow } from "./compare.ts";

export const STRIPE_TOLERANCE_SECONDS = 300;

/**
 * Stripe's own signature check, with the age measured from when the request arrived. Only the
 * signature (constructEventAsync would also parse): a signed body that is not a valid event is
 * the parser's to reject, with a 400 and a kept row.
 */
export async function verifyStripe(req: RawRequest, secrets: readonly string[]): Promise<boolean> {
  const header = req.headers.get("stripe-signature");
  const signature = Stripe.webhooks.signature;
  if (!header || !signature) return false;
  // Stripe's check only refuses old timestamps; a future or unreadable one is refused here too.
  const t = /(?:^|,)\s*t=(\d{1,12})\s*(?:,|$)/.exec(header)?.[1];
  if (!t || !withinWindow(Number(t) * 1000, req.receivedAt, STRIPE_TOLERANCE_SECONDS * 1000)) return false;
  let ok = false;
  for (const secret of secrets) {
    try {
      await signature.verifyHeaderAsync(req.body, header, secret, STRIPE_TOLERANCE_SECONDS, undefined, req.receivedAt);
      ok = true;
    } catch {
      // wrong secret, tampered body or stale timestamp: try the next secret
    }
  }
  return ok;
}
