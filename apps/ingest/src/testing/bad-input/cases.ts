import { validAuth } from "./auth.ts";
import { bearerCases, replayCases, signatureCases, timestampCases } from "./cases-auth.ts";
import { bodyCases, contentTypeCases, longEventIdCases, sizeCases, unicodeCases } from "./cases-bodies.ts";
import { headerCases, methodCases, pathCases } from "./cases-headers.ts";
import { type Case, type Gen, type HeaderList, PATH, rng, SEED, type Source } from "./requests.ts";

/*
 * Requests this suite once answered with 500, kept here so they stay fixed: future-dated and
 * unreadable Stripe timestamps, raw NUL bytes, \u0000 and lone-surrogate escapes, 10 KB event
 * ids, 5 KB event types, and bodies nested ~100,000 levels deep.
 */

/**
 * Every malformed request of the suite. The sections draw from one seeded sequence in this order,
 * so a theme's cases are the same bytes whichever file runs them; reordering the calls changes
 * every case after the move.
 */
export function generateCases(seed: number): Case[] {
  const r = rng(seed);
  const cases: Case[] = [];
  const json = { "content-type": "application/json" };
  const add = (c: Omit<Case, "method"> & { method?: string }) => cases.push({ method: "POST", ...c });
  const unauth = (source: Source, category: string, label: string, headers: HeaderList, body?: string | Uint8Array) =>
    add({
      category,
      label: `${source}: ${label}`,
      path: PATH[source],
      headers,
      ...(body === undefined ? {} : { body }),
      auth: false,
      codes: ["auth_failed"],
    });
  const signedBad = (source: Source, category: string, label: string, body: string, extra: HeaderList = {}) =>
    add({
      category,
      label: `${source}: ${label}`,
      path: PATH[source],
      headers: { ...json, ...validAuth(source, body, r), ...(extra as Record<string, string>) },
      body,
      auth: true,
      codes: ["invalid_payload"],
    });
  const gen: Gen = { r, cases, json, add, unauth, signedBad };

  signatureCases(gen);
  timestampCases(gen);
  replayCases(gen);
  bodyCases(gen);
  contentTypeCases(gen);
  sizeCases(gen);
  headerCases(gen);
  unicodeCases(gen);
  longEventIdCases(gen);
  pathCases(gen);
  methodCases(gen);
  bearerCases(gen);
  return cases;
}

/**
 * The categories of each theme; each theme is run by the one routes/bad-input-*.test.ts that lists
 * it in its THEMES. bad-input-themes.test.ts holds every generated category to exactly one theme
 * and every theme to one file, so a new category cannot go unsent.
 */
export const THEME_CATEGORIES = {
  signatures: [
    "sig-missing",
    "sig-empty",
    "sig-truncated",
    "sig-wrong-secret",
    "sig-wrong-scheme",
    "sig-garbage",
    "sig-cross-source",
    "sig-tampered-body",
    "ts-stale",
    "ts-future",
    "ts-non-numeric",
    "stripe-replay",
  ],
  bodies: [
    "body-truncated-json",
    "body-non-json",
    "body-empty",
    "body-huge-numbers",
    "body-deep-nesting",
    "content-type",
    "body-over-1mib",
    "content-length-lies",
    "body-unicode",
    "body-invalid-utf8",
    "long-event-id",
  ],
  headers: [
    "header-very-long",
    "header-many-candidates",
    "header-repeated",
    "header-unicode",
    "header-many",
    "header-request-id",
  ],
  routes: ["unknown-path", "unknown-source", "wrong-method"],
  bearer: ["bearer-wrong", "bearer-lenient"],
} as const satisfies Record<string, readonly string[]>;

export type Theme = keyof typeof THEME_CATEGORIES;

let all: Case[] | undefined;

/** The suite's cases in one theme, in the order the whole suite would send them. */
export function themeCases(theme: Theme): Case[] {
  all ??= generateCases(SEED);
  const categories: readonly string[] = THEME_CATEGORIES[theme];
  return all.filter((c) => categories.includes(c.category));
}
