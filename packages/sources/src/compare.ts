import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Constant-time string equality; hashing first makes unequal lengths safe to compare too. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function hmacBase64(key: string | Buffer, content: string): string {
  return createHmac("sha256", key).update(content).digest("base64");
}

/** True when any configured secret (two during rotation) produces the expected signature. */
export function anySecret(secrets: readonly string[], matches: (secret: string) => boolean): boolean {
  let ok = false;
  // No early exit: the time taken does not reveal which secret matched.
  for (const secret of secrets) ok = matches(secret) || ok;
  return ok;
}

export const FIVE_MINUTES_MS = 5 * 60 * 1000;

export function withinWindow(timestampMs: number, now: number, windowMs = FIVE_MINUTES_MS): boolean {
  return Number.isFinite(timestampMs) && Math.abs(now - timestampMs) <= windowMs;
}
