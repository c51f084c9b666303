import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import type { FileMap } from "./check.ts";

/**
 * Directories whose files are not the project's own source: installs, build and test output,
 * and drizzle-kit's generated migrations.
 */
const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage", "test-output", "migrations"]);

/** Every workspace package's package.json and TypeScript sources under `root`, keyed by posix path. */
export function readTree(root: string): FileMap {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && !SKIPPED_DIRS.has(entry.name)) walk(full);
      } else if (entry.isFile() && /\.[cm]?tsx?$/.test(entry.name)) {
        files[relative(root, full).split(sep).join(posix.sep)] = readFileSync(full, "utf8");
      }
    }
  };
  for (const group of ["apps", "packages"]) {
    if (!existsSync(join(root, group))) continue;
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      const manifest = join(root, group, entry.name, "package.json");
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      files[`${group}/${entry.name}/package.json`] = readFileSync(manifest, "utf8");
      walk(join(root, group, entry.name));
    }
  }
  return files;
}
