import { randomBytes } from "node:crypto";
import type { Config } from "@switchyard/config";
import { MIN_PASSWORD_LENGTH, nameProblem, normalizeName } from "./accounts.ts";
import type { AdminCredentials } from "./env-types.ts";

export { MIN_PASSWORD_LENGTH } from "./accounts.ts";

/** Outside development: long enough that guessing it is hopeless. */
export const MIN_TOKEN_LENGTH = 32;

/** The account development signs in with when ADMIN_USER is not set. */
export const DEV_ADMIN_USER = "admin";

export type CredentialsResult =
  | {
      ok: true;
      credentials: AdminCredentials;
      /** Made up for this development run, to be printed once: a browser sign-in and a token for curl. */
      generated?: { user?: string; password?: string; token?: string };
    }
  | { ok: false; message: string };

/**
 * Admin never answers without credentials. Outside development, missing or short credentials stop
 * it and say why; in development whatever is missing (a browser sign-in, a token) is made up for
 * this run and printed once, so `./sy start` opens in a browser with nothing configured.
 */
export function adminCredentials(config: Config): CredentialsResult {
  const { ADMIN_TOKEN, ADMIN_USER, ADMIN_PASSWORD } = config;
  const badName = ADMIN_USER ? nameProblem(normalizeName(ADMIN_USER)) : undefined;
  if (badName) return { ok: false, message: `ADMIN_USER: ${badName}` };
  if (config.NODE_ENV !== "development") {
    if (!ADMIN_TOKEN && !(ADMIN_USER && ADMIN_PASSWORD)) {
      return {
        ok: false,
        message: "set ADMIN_TOKEN, or ADMIN_USER and ADMIN_PASSWORD: admin refuses to run without credentials",
      };
    }
    if (ADMIN_PASSWORD && ADMIN_PASSWORD.length < MIN_PASSWORD_LENGTH) {
      return {
        ok: false,
        message: `ADMIN_PASSWORD has ${ADMIN_PASSWORD.length} characters; outside development admin needs at least ${MIN_PASSWORD_LENGTH}`,
      };
    }
    if (ADMIN_TOKEN && ADMIN_TOKEN.length < MIN_TOKEN_LENGTH) {
      return {
        ok: false,
        message: `ADMIN_TOKEN has ${ADMIN_TOKEN.length} characters; outside development admin needs at least ${MIN_TOKEN_LENGTH} (openssl rand -hex 32)`,
      };
    }
    return { ok: true, credentials: { token: ADMIN_TOKEN, user: ADMIN_USER, password: ADMIN_PASSWORD } };
  }
  const generated: { user?: string; password?: string; token?: string } = {};
  const credentials: AdminCredentials = { token: ADMIN_TOKEN, user: ADMIN_USER, password: ADMIN_PASSWORD };
  if (!ADMIN_USER) {
    credentials.user = generated.user = DEV_ADMIN_USER;
    credentials.password = generated.password = randomBytes(12).toString("base64url");
  }
  if (!ADMIN_TOKEN) credentials.token = generated.token = `dev_${randomBytes(24).toString("base64url")}`;
  return { ok: true, credentials, generated };
}
