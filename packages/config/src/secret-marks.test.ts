import { optionalText, secret, secretKind, unmarkedSecretNames } from "@switchyard/env";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { parseConfig, secretValues } from "./config.ts";
import { createLogger } from "./logger.ts";
import { CONFIG_SHAPE } from "./schema.ts";

/** A value the field accepts that carries `token` where a secret would sit. */
function valueFor(schema: z.core.$ZodType, token: string): string {
  const candidates = [
    token,
    `https://hooks.example.com/services/${token}`,
    `redis://:${token}@127.0.0.1:6379`,
    `postgres://switchyard:${token}@127.0.0.1:5432/switchyard`,
  ];
  const fits = candidates.find((c) => (schema as z.ZodType).safeParse(c).success);
  if (!fits) throw new Error(`no sample value fits ${token}`);
  return fits;
}

describe("secrets are marked where they are defined", () => {
  it("every variable named like a secret is marked", () => {
    expect(unmarkedSecretNames(CONFIG_SHAPE)).toEqual([]);
  });

  it("an unmarked secret-named variable added to the schema is caught", () => {
    expect(unmarkedSecretNames({ ...CONFIG_SHAPE, SHOP_API_KEY: optionalText() })).toEqual(["SHOP_API_KEY"]);
    expect(unmarkedSecretNames({ ...CONFIG_SHAPE, SHOP_API_KEY: secret(optionalText()) })).toEqual([]);
  });

  it("the value of every marked variable is redacted from log lines, with no list kept by hand", () => {
    const marked = Object.entries(CONFIG_SHAPE).filter(([, schema]) => secretKind(schema));
    expect(marked.length).toBeGreaterThanOrEqual(13);
    const tokens = new Map(marked.map(([name]) => [name, `sy-${name.toLowerCase().replace(/_/g, "-")}-x7Qm2`]));
    const env = Object.fromEntries(marked.map(([name, schema]) => [name, valueFor(schema, tokens.get(name) ?? "")]));
    if (env.ADMIN_PASSWORD) env.ADMIN_USER = "owner";
    const config = parseConfig(env);
    const lines: string[] = [];
    const logger = createLogger({ name: "t", secrets: secretValues(config), write: (l) => lines.push(l) });
    // A "value" secret is the whole value (a webhook URL is a credential in itself); a URL's
    // password is the secret of a connection string.
    const secretOf = (name: string, schema: z.core.$ZodType) =>
      secretKind(schema) === "value" ? (env[name] ?? "") : (tokens.get(name) ?? "");
    for (const [name, schema] of marked) {
      const value = secretOf(name, schema);
      logger.error(`failed with ${value}`, { detail: `${name}=${value}` });
    }
    const out = lines.join("\n");
    expect(lines).toHaveLength(marked.length);
    for (const [name, schema] of marked) expect(out, name).not.toContain(secretOf(name, schema));
  });
});
