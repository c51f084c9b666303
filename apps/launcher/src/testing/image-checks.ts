import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { parse } from "yaml";
import type { StageImage } from "./image.ts";

/**
 * What a built stage must hold for Switchyard to run from it, as problems (none = fine):
 * every workspace package of the context with its package.json and its installed dependencies
 * (what "Cannot find package" would otherwise say at start), each patched dependency installed
 * with its patch, no symlink leaving the tree, nothing a non-root USER cannot read, and no
 * `.env` file in it.
 */
export interface Workspace {
  /** Context-relative folders of the workspace packages, the root ("") included. */
  packages: string[];
  /** `name@version` of each patchedDependencies entry. */
  patched: string[];
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function readWorkspace(context: string): Workspace {
  const yaml: unknown = parse(readFileSync(join(context, "pnpm-workspace.yaml"), "utf8"));
  const doc = (yaml && typeof yaml === "object" && !Array.isArray(yaml) ? yaml : {}) as Record<string, unknown>;
  const packages = [""];
  for (const pattern of list(doc.packages)) {
    const m = /^([\w.-]+(?:\/[\w.-]+)*)\/\*$/.exec(pattern);
    if (!m?.[1]) {
      if (!/^[\w./-]+$/.test(pattern)) throw new Error(`pnpm-workspace.yaml: pattern ${pattern} is not supported`);
      packages.push(pattern);
      continue;
    }
    const dir = join(context, m[1]);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (existsSync(join(dir, name, "package.json"))) packages.push(`${m[1]}/${name}`);
    }
  }
  const patched = doc.patchedDependencies;
  return {
    packages,
    patched: patched && typeof patched === "object" && !Array.isArray(patched) ? Object.keys(patched) : [],
  };
}

function walk(dir: string, visit: (path: string, rel: string) => void, rel = "") {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    visit(path, r);
    if (lstatSync(path).isDirectory()) walk(path, visit, r);
  }
}

function dependenciesOf(manifest: string): string[] {
  const json = JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string> };
  return Object.keys(json.dependencies ?? {});
}

export function checkTree(stage: StageImage, context: string): string[] {
  const problems: string[] = [];
  const app = join(stage.root, stage.workdir);
  if (!existsSync(app)) return [`WORKDIR ${stage.workdir} does not exist in stage ${stage.name}`];
  const workspace = readWorkspace(context);
  for (const pkg of workspace.packages) {
    const label = pkg || "the root package";
    const manifest = join(app, pkg, "package.json");
    if (!existsSync(manifest)) {
      problems.push(`${pkg ? `${pkg}/` : ""}package.json is not in the image (${label} is missing)`);
      continue;
    }
    if (readFileSync(manifest, "utf8") !== readFileSync(join(context, pkg, "package.json"), "utf8")) {
      problems.push(`${label}: its package.json in the image differs from the context's`);
    }
    for (const dep of dependenciesOf(manifest)) {
      // Where Node looks first from the package's own files; pnpm links every dependency there.
      if (!existsSync(join(app, pkg, "node_modules", dep, "package.json"))) {
        problems.push(`${label}: dependency ${dep} is not installed (Cannot find package '${dep}')`);
      }
    }
  }
  const store = join(app, "node_modules", ".pnpm");
  const installed = existsSync(store) ? readdirSync(store) : [];
  for (const spec of workspace.patched) {
    const dir = spec.replace("/", "+");
    const copies = installed.filter((n) => n === dir || n.startsWith(`${dir}_`));
    const unpatched = copies.filter((n) => !n.includes("patch_hash="));
    if (unpatched.length > 0) problems.push(`${spec} is installed without its patch (${unpatched.join(", ")})`);
  }
  const nonRoot = stage.user !== "root" && stage.user !== "0" && !stage.user.startsWith("0:");
  walk(app, (path, rel) => {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(path);
      const resolved = target.startsWith("/") ? join(stage.root, target) : resolve(dirname(path), target);
      if (relative(stage.root, resolved).startsWith("..")) problems.push(`${rel} links outside the image (${target})`);
      return;
    }
    const name = posix.basename(rel);
    if (/^\.env/.test(name) && rel !== ".env.example" && !rel.includes("node_modules/")) {
      problems.push(`${rel} is in the image: a secrets file baked into a layer`);
    }
    const needs = stat.isDirectory() ? 0o005 : 0o004;
    if (nonRoot && (stat.mode & needs) !== needs) problems.push(`${rel} is not readable by USER ${stage.user}`);
  });
  return problems;
}

/** Every file of the tree outside node_modules, for asserting what is and is not in the image. */
export function treeFiles(stage: StageImage): string[] {
  const app = join(stage.root, stage.workdir);
  const files: string[] = [];
  walk(app, (path, rel) => {
    if (!rel.split("/").includes("node_modules") && statSync(path, { throwIfNoEntry: false })?.isFile()) {
      files.push(rel);
    }
  });
  return files.sort();
}
