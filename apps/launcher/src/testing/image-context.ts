import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository this test runs in, and its build context (docker-compose.yml: `context: .`). */
export const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

export const repoFile = (path: string) => readFileSync(join(REPO, path), "utf8");

/** A fresh folder outside the repository, so nothing pnpm runs there can see the repo's workspace. */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sy-${label}-`));
  if (!relative(REPO, dir).startsWith("..")) throw new Error(`${dir} is inside the repository`);
  return dir;
}

/**
 * A copy of the build context as a developer's checkout holds it: every file git tracks or would
 * track (the working tree's content, uncommitted edits included), plus one planted file for each
 * .gitignore pattern, the things a checkout has and git leaves out (.env, node_modules, .data,
 * test reports...). Returns the planted paths, each holding `marker`.
 */
export function copyContext(to: string, marker: string): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO,
    encoding: "utf8",
  });
  for (const rel of listed.split("\0").filter(Boolean)) {
    const src = join(REPO, rel);
    if (!existsSync(src)) continue; // deleted in the working tree
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    copyFileSync(src, join(to, rel));
  }
  const planted = plantsFor(repoFile(".gitignore"));
  for (const rel of planted) {
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    writeFileSync(join(to, rel), `${marker}\n`);
  }
  return planted;
}

/** A path each .gitignore pattern ignores, at the root and, for a pattern without a `/`, nested. */
export function plantsFor(gitignore: string): string[] {
  const out = new Set([".env.local", ".env.production", "apps/ingest/.env.test"]);
  for (const raw of gitignore.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("!")) continue;
    const dirOnly = line.endsWith("/");
    const pattern = line.replace(/\/$/, "").replace(/^\//, "");
    const path = pattern.replace(/\*+/g, "planted");
    for (const p of pattern.includes("/") || line.startsWith("/") ? [path] : [path, `apps/ingest/${path}`]) {
      out.add(dirOnly ? `${p}/planted.txt` : p);
    }
  }
  return [...out].sort();
}

/**
 * The Dockerfile as this issue found it, for a given list of workspace folders: package manifests
 * listed by hand in a deps stage, then `COPY . .` over the installed tree.
 */
export function handListedDockerfile(packages: readonly string[], opts: { patches: boolean }): string {
  const pnpm = (JSON.parse(repoFile("package.json")) as { packageManager: string }).packageManager;
  return [
    "FROM node:24.21.0-bookworm-slim AS deps",
    "WORKDIR /app",
    `RUN npm install --global ${pnpm}`,
    "COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./",
    ...(opts.patches ? ["COPY patches/ patches/"] : []),
    ...packages.filter(Boolean).map((p) => `COPY ${p}/package.json ${p}/`),
    "RUN pnpm install --frozen-lockfile --prod",
    "",
    "FROM node:24.21.0-bookworm-slim",
    "ENV NODE_ENV=production",
    "WORKDIR /app",
    "COPY --from=deps /app /app",
    "COPY . .",
    "USER node",
    'CMD ["node", "apps/launcher/src/main.ts"]',
  ].join("\n");
}
