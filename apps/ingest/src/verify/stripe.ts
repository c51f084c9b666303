import Stripe from "stripe";
import type { RawRequest } from "../env-types.ts";

export const STRIPE_TOLERANCE_SECONDS = 300;

/** Stripe's own verifier, with the age measured from when the request arrived. */
export async function verifyStripe(req: RawRequest, secrets: readonly string[]): Promise<boolean> {
  const header = req.headers.get("stripe-signature");
  if (!header) return false;
  let ok = false;
  for (const secret of secrets) {
    try {
      await Stripe.webhooks.constructEventAsync(
        req.body,
        header,
        secret,
        STRIPE_TOLERANCE_SECONDS,
        undefined,
        req.receivedAt,
      );
      ok = true;
    } catch {
      // wrong secret, tampered body or stale timestamp: try the next secret
    }
  }
  return ok;
}
