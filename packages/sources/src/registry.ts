import { APP_SOURCE, ROUTES } from "@switchyard/events";
import type { z } from "zod";
import type { AnySource, SourceConfig } from "./define.ts";
import { hubspot } from "./hubspot.ts";
import { stripe } from "./stripe.ts";
import { zendesk } from "./zendesk.ts";

/** Every source with a signature scheme of its own: add a descriptor here and nowhere else. */
export const SOURCES = [stripe, hubspot, zendesk] as const satisfies readonly AnySource[];

export type SourceRegistry = readonly AnySource[];

/** Names a Standard Webhooks source may not take: they have schemes (and variables) of their own. */
export function reservedSourceNames(sources: SourceRegistry = SOURCES): ReadonlySet<string> {
  return new Set([...sources.map((s) => s.name), APP_SOURCE]);
}

/** Every source's variables, for the config schema. */
export function sourceEnvShape(sources: SourceRegistry = SOURCES): Record<string, z.core.$ZodType> {
  return Object.assign({}, ...sources.map((s) => s.env));
}

type EnvOf<T> = T extends { env: infer S extends z.ZodRawShape } ? S : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The variables of the built-in sources, typed, for Config. */
export type SourcesEnvShape = UnionToIntersection<EnvOf<(typeof SOURCES)[number]>>;

export function sourceNamed(name: string, sources: SourceRegistry = SOURCES): AnySource | undefined {
  return sources.find((s) => s.name === name);
}

/** The provider event types Switchyard routes for a source: what to subscribe to in its dashboard. */
export function routedTypesOf(source: string): string[] {
  const prefix = `${source}.`;
  return Object.keys(ROUTES)
    .filter((t) => t.startsWith(prefix))
    .map((t) => t.slice(prefix.length));
}

/**
 * What ingest checks at start: the built-in sources configured (secrets set), the refusals of
 * those that cannot be served as configured, and warnings to log once.
 */
export function startChecks(
  config: SourceConfig,
  sources: SourceRegistry = SOURCES,
): { enabled: string[]; refusals: string[]; warnings: string[] } {
  const enabled = sources.filter((s) => s.secrets(config).length > 0);
  const checks = enabled.map((s) => s.startCheck?.(config)).filter((c) => c !== undefined);
  return {
    enabled: enabled.map((s) => s.name),
    refusals: checks.flatMap((c) => (c.refuse ? [c.refuse] : [])),
    warnings: checks.flatMap((c) => (c.warn ? [c.warn] : [])),
  };
}
