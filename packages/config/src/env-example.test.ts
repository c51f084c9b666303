import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "./config.ts";
import { ConfigSchema } from "./schema.ts";

const example = readFileSync(new URL("../../../.env.example", import.meta.url), "utf8");

/** Assignments, including commented-out ones: a documented variable may be off by default. */
function documented(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^#?\s?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) vars.set(m[1], m[2] ?? "");
  }
  return vars;
}

describe(".env.example", () => {
  it("documents every variable the configuration schema reads", () => {
    const names = [...documented(example).keys()];
    for (const key of Object.keys(ConfigSchema.shape)) expect(names, `${key} is missing`).toContain(key);
  });

  it("parses as it stands, and with every commented example switched on", () => {
    const active = Object.fromEntries(
      example
        .split("\n")
        .map((l) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    expect(() => parseConfig(active)).not.toThrow();
    const all = Object.fromEntries(documented(example));
    all.STRIPE_API_BASE = "http://127.0.0.1:12111";
    all.HUBSPOT_API_BASE = "http://127.0.0.1:12112";
    all.OPENAI_BASE_URL = "http://127.0.0.1:12113";
    const config = parseConfig(all);
    expect(config.webhookSources.get("acme")).toHaveLength(1);
    expect(config.DATABASE_URL).toMatch(/^postgres:/);
  });
});
