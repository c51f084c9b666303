import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateCases, THEME_CATEGORIES } from "../testing/bad-input/cases.ts";
import { SEED } from "../testing/bad-input/requests.ts";

/** The themes each routes/bad-input-*.test.ts runs, read from its `themeTests(label, [...])` call. */
function themesRunByFiles(): string[] {
  const dir = import.meta.dirname;
  return readdirSync(dir)
    .filter((f) => /^bad-input-.*\.test\.ts$/.test(f))
    .flatMap((f) => {
      const list = /themeTests\(\s*"[\w-]+",\s*\[([^\]]*)\]/.exec(readFileSync(join(dir, f), "utf8"))?.[1] ?? "";
      return [...list.matchAll(/"([\w-]+)"/g)].map((m) => m[1] as string);
    });
}

describe("bad input: the generated suite", () => {
  it("holds over a thousand requests, each category in exactly one theme, each theme run by one file", () => {
    const all = generateCases(SEED);
    expect(all.length).toBeGreaterThanOrEqual(1_000);
    const generated = new Set(all.map((c) => c.category));
    const themes = Object.entries(THEME_CATEGORIES) as [string, readonly string[]][];
    const owners = [...generated].map((category) => ({
      category,
      themes: themes.filter(([, categories]) => categories.includes(category)).map(([theme]) => theme),
    }));
    expect(owners.filter((o) => o.themes.length !== 1)).toEqual([]);
    // A category listed in a theme but never generated is a rename the themes missed.
    expect(themes.flatMap(([, categories]) => categories).filter((c) => !generated.has(c))).toEqual([]);
    expect(themesRunByFiles().sort()).toEqual(themes.map(([theme]) => theme).sort());
  });
});
