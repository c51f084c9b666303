import { z } from "zod";

/**
 * How a secret variable holds its secret: the whole value (a key, a comma-separated list of
 * signing secrets, a webhook URL that is itself a credential), or only the password of a URL.
 */
export type SecretKind = "value" | "url-password";

/** The marks. A WeakMap under the hood, so marking never keeps a schema alive. */
export const SECRETS = z.registry<{ secret: SecretKind }>();

/**
 * Marks a variable's schema as a secret, where the variable is defined. Everything that must
 * never print it (log redaction, error messages, the OpenAPI document) reads the mark.
 * Apply it to the outermost schema of the field, after `.default()` or `.optional()`.
 */
export function secret<T extends z.ZodType>(schema: T, kind: SecretKind = "value"): T {
  SECRETS.add(schema, { secret: kind });
  return schema;
}

export function secretKind(schema: z.core.$ZodType): SecretKind | undefined {
  return SECRETS.get(schema)?.secret;
}

/** `a,b , c` -> ["a","b","c"]; unset or empty -> []. A fresh schema each call, so marks stay apart. */
export const list = () =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );

/** Trimmed text; blank means unset. */
export const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined));

export const port = () => z.coerce.number().int().min(0).max(65_535);
export const ms = () => z.coerce.number().int().min(1);
export const percentage = () => z.coerce.number().min(0).max(100);

/** Names that say "secret" but are not marked: each one is a value the logs would print. */
export const SECRET_NAME = /(_SECRET|_TOKEN|_KEY|_KEYS|_PASSWORD)$/;

export function unmarkedSecretNames(shape: Readonly<Record<string, z.core.$ZodType>>): string[] {
  return Object.entries(shape)
    .filter(([name, schema]) => SECRET_NAME.test(name) && !secretKind(schema))
    .map(([name]) => name);
}

/** Every secret held by `values` (a parsed config) under the marked variables of `shape`. */
export function markedSecretValues(shape: Readonly<Record<string, z.core.$ZodType>>, values: object): string[] {
  const out: string[] = [];
  const record = values as Record<string, unknown>;
  for (const [name, schema] of Object.entries(shape)) {
    const kind = secretKind(schema);
    if (!kind) continue;
    const value = record[name];
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (typeof item !== "string") continue;
      const found = kind === "url-password" ? passwordOf(item) : item;
      if (found) out.push(found);
    }
  }
  return out;
}

function passwordOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
