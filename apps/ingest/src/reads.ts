import { isDatabaseUnavailable } from "@switchyard/db";
import type { RouteDeps } from "./env-types.ts";
import { ApiError, RETRY_AFTER_SECONDS } from "./errors.ts";
import { verifyApiKey } from "./verify/api-key.ts";

/** The app's read-only API answers only to one of APP_API_KEYS, before anything is read. */
export function requireAppKey(deps: RouteDeps, authorization: string | undefined): void {
  if (!verifyApiKey(authorization, deps.config.APP_API_KEYS)) {
    throw new ApiError("auth_failed", "a valid bearer API key is required");
  }
}

/**
 * A read for the app's API within DATABASE_TIMEOUT_MS: an absent or crawling Postgres is a prompt
 * 503 with Retry-After, as for the event routes, never a request left hanging.
 */
export async function readWithin<T>(deps: RouteDeps, read: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const unavailable = () =>
    new ApiError("database_unavailable", "the database is unavailable; retry later", {
      "retry-after": RETRY_AFTER_SECONDS,
    });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable()), deps.config.DATABASE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), deadline]);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (isDatabaseUnavailable(err)) throw unavailable();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
