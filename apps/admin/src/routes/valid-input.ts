import { createMiddleware } from "hono/factory";
import type { AdminEnv } from "../env-types.ts";
import { AdminError, adminErrorResponse } from "../errors.ts";

/** Postgres text cannot hold NUL; a percent sequence that is not UTF-8 cannot be decoded at all. */
function badInUrl(url: string): string | undefined {
  const { pathname, search } = new URL(url);
  const parts = [
    pathname,
    ...search
      .slice(1)
      .split("&")
      .flatMap((pair) => pair.split("=")),
  ];
  for (const part of parts) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      return "the URL holds a byte sequence that is not UTF-8";
    }
    if (decoded.includes("\u0000")) return "the URL holds a NUL byte";
  }
  return undefined;
}

/**
 * Every admin route, the console and Bull Board included: a path segment or query value with a
 * NUL or an undecodable byte is refused as a 400 in the error shape before any handler reads it
 * (Postgres would refuse it mid-query, and that surfaced as a 500).
 */
export function validInput() {
  return createMiddleware<AdminEnv>(async (c, next) => {
    const bad = badInUrl(c.req.url);
    if (bad) return adminErrorResponse(c, new AdminError("invalid_request", `Invalid input: ${bad}.`));
    await next();
  });
}

/**
 * Postgres refusing a value as text (NUL, or an escape jsonb cannot store) in a form or JSON
 * body: invalid input from the caller, not a fault of ours.
 */
export function isInvalidText(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  const code = (err as { code?: unknown }).code;
  if (code === "22021" || code === "22P05") return true;
  return isInvalidText(err.cause, depth + 1);
}
