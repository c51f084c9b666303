import { createHash, randomBytes } from "node:crypto";
import { createSession, type Db, deleteSession, sessionAccount } from "@switchyard/db";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Role } from "./roles.ts";

export const SESSION_COOKIE = "sy_session";

/** Only the hash is stored: a copy of the table signs nobody in. */
export const hashSessionId = (id: string) => createHash("sha256").update(id).digest("base64url");

/** Behind a TLS-terminating proxy the app sees http; the proxy's header says what the browser used. */
export function servedOverHttps(c: Context): boolean {
  return (
    new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https"
  );
}

const cookieOptions = (c: Context) =>
  ({ path: "/", httpOnly: true, sameSite: "Strict", secure: servedOverHttps(c) }) as const;

/** Signs the account in: a random id in the cookie, its hash and expiry in Postgres. */
export async function startSession(c: Context, db: Db, accountId: string, ttlMs: number): Promise<void> {
  const id = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + ttlMs);
  await createSession(db, { idHash: hashSessionId(id), accountId, expiresAt });
  setCookie(c, SESSION_COOKIE, id, { ...cookieOptions(c), maxAge: Math.floor(ttlMs / 1000), expires: expiresAt });
}

/** Who the session cookie belongs to, while the session lives and the account exists. */
export async function sessionOf(c: Context, db: Db): Promise<{ name: string; role: Role } | undefined> {
  const id = getCookie(c, SESSION_COOKIE);
  if (!id || id.length > 100) return undefined;
  return sessionAccount(db, hashSessionId(id));
}

/** Ends the session server side (the cookie alone would open nothing again) and clears the cookie. */
export async function endSession(c: Context, db: Db): Promise<void> {
  const id = getCookie(c, SESSION_COOKIE);
  if (id && id.length <= 100) await deleteSession(db, hashSessionId(id));
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
}

export const hasSessionCookie = (c: Context) => getCookie(c, SESSION_COOKIE) !== undefined;
