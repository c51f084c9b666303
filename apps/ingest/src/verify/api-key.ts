import { anySecret, safeEqual } from "@switchyard/sources";

export function verifyApiKey(authorization: string | undefined, keys: readonly string[]): boolean {
  const match = /^Bearer +(\S+)$/i.exec(authorization ?? "");
  const offered = match?.[1];
  if (!offered) return false;
  return anySecret(keys, (key) => safeEqual(key, offered));
}
