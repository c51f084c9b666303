import { markedSecretValues } from "@switchyard/env";
import { reservedSourceNames, SOURCES, type SourceRegistry } from "@switchyard/sources";
import type { z } from "zod";
import { type ConfigSchema, configSchemaFor } from "./schema.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** Standard Webhooks sources, from WEBHOOK_SECRET_<SOURCE>: source name (lower case) -> secrets. */
export type GenericSources = ReadonlyMap<string, readonly string[]>;

export type Config = z.infer<typeof ConfigSchema> & { webhookSources: GenericSources };

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const GENERIC_SECRET = /^WEBHOOK_SECRET_([A-Z][A-Z0-9_]{0,39})$/;

function genericSources(env: Env, reserved: ReadonlySet<string>): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const [key, value] of Object.entries(env)) {
    const match = GENERIC_SECRET.exec(key);
    if (!match?.[1] || !value) continue;
    const source = match[1].toLowerCase();
    if (reserved.has(source)) {
      throw new ConfigError(`${key}: "${source}" has its own signature scheme and variable; pick another source name`);
    }
    const secrets = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (secrets.length === 0) throw new ConfigError(`${key}: no secret given`);
    for (const secret of secrets) {
      // A key that decodes to nothing would let anyone sign: demand the spec's 24-64 bytes.
      const body = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret)?.[1];
      const bytes = body ? Buffer.from(body, "base64").length : 0;
      if (!body || body.length % 4 !== 0 || bytes < 24 || bytes > 64) {
        throw new ConfigError(
          `${key}: each secret must be whsec_ followed by 24-64 bytes of base64 (Standard Webhooks)`,
        );
      }
    }
    sources.set(source, secrets);
  }
  return sources;
}

/**
 * Parses the environment once. Messages name variables, never echo their values. `sources` is
 * the registry whose variables are read (a test may add a fixture source).
 */
export function parseConfig(env: Env, sources: SourceRegistry = SOURCES): Config {
  // `FOO=` in a .env file means "not set", as it does for docker compose.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = configSchemaFor(sources).schema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(config)"}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, webhookSources: genericSources(set, reservedSourceNames(sources)) } as Config;
}

/**
 * Every configured secret value, so logs and errors can redact them wherever they appear: what
 * the schema marks with `secret()`, and every Standard Webhooks source's secrets.
 */
export function secretValues(config: Config, sources: SourceRegistry = SOURCES): string[] {
  const values = [
    ...markedSecretValues(configSchemaFor(sources).shape, config),
    ...[...config.webhookSources.values()].flat(),
  ];
  // Shorter than this, a "secret" would redact ordinary words out of every line.
  return values.filter((v) => v.length >= 4);
}

/** For an app's env.ts: parse, or stop the process with a message that names the problem. */
export function loadConfigOrExit(env: Env, app: string): Config {
  try {
    return parseConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`switchyard ${app}: ${err.message}\n`);
    process.exit(78);
  }
}
