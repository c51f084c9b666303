import { randomBytes } from "node:crypto";
import type { Config } from "@switchyard/config";
import type { AdminCredentials } from "./env-types.ts";

export type CredentialsResult =
  | { ok: true; credentials: AdminCredentials; generated?: string }
  | { ok: false; message: string };

/**
 * Admin never answers without credentials. Outside development, missing credentials stop it; in
 * development a one-off token is generated and printed once, so `pnpm start` still works.
 */
export function adminCredentials(config: Config): CredentialsResult {
  const { ADMIN_TOKEN, ADMIN_USER, ADMIN_PASSWORD } = config;
  if (ADMIN_TOKEN || (ADMIN_USER && ADMIN_PASSWORD)) {
    return { ok: true, credentials: { token: ADMIN_TOKEN, user: ADMIN_USER, password: ADMIN_PASSWORD } };
  }
  if (config.NODE_ENV !== "development") {
    return {
      ok: false,
      message: "set ADMIN_TOKEN, or ADMIN_USER and ADMIN_PASSWORD: admin refuses to run without credentials",
    };
  }
  const token = `dev_${randomBytes(24).toString("base64url")}`;
  return { ok: true, credentials: { token }, generated: token };
}
