import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { analyze, type Rule } from "./check.ts";
import { readTree } from "./read-tree.ts";

/**
 * The rules of check.ts over this repository as it is on disk. It lives in the launcher because
 * the launcher is the one app allowed to see every other, and because a test here is counted in
 * `pnpm test`'s closing line like any other.
 */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const RULES: Rule[] = [
  "app-imports-app",
  "package-imports-app",
  "entry-point-only",
  "package-cycle",
  "file-cycle",
  "file-too-long",
];

describe("the repository's structure", () => {
  const files = readTree(ROOT);
  const { packages, dependencies, violations } = analyze(files);

  it("reads every workspace package and finds their imports", () => {
    // Guards against a reader or scanner that sees nothing, which would pass every rule.
    const apps = packages.filter((p) => p.kind === "app").map((p) => p.name);
    expect(apps).toContain("@switchyard/ingest");
    expect(packages.filter((p) => p.kind === "package").map((p) => p.name)).toContain("@switchyard/db");
    expect(Object.keys(files).filter((f) => f.endsWith(".ts")).length).toBeGreaterThan(150);
    expect(dependencies.get("@switchyard/launcher")).toContain("@switchyard/ingest");
    expect(dependencies.get("@switchyard/queue")).toContain("@switchyard/events");
  });

  it.each(RULES)("has no %s violation", (rule) => {
    const found = violations.filter((v) => v.rule === rule).map((v) => v.message);
    expect(found, `${found.length} ${rule} violation(s):\n${found.join("\n")}`).toEqual([]);
  });
});
