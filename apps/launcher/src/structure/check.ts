import { posix } from "node:path";
import { importsOf } from "./scan.ts";

/**
 * The repository's structure rules, checked over a map of repo-relative paths to file contents
 * (every workspace package's package.json and its TypeScript sources), so the rules can be
 * tested on a made-up tree as well as run on the real one (repo.test.ts).
 *
 * - An app never depends on another app. The one exception is the composition root,
 *   apps/launcher: `pnpm start` runs ingest, admin and every worker in one process, so it has to
 *   import them, but only through their entry points (`@switchyard/<app>`), like anyone else.
 * - A package (under packages/) never depends on an app: apps wire packages together.
 * - A package is imported through the entry points its package.json `exports` declares (`.`, or a
 *   subpath such as `./testing`): no other `@switchyard/x/sub`, and no relative path into another
 *   package's directory, since either couples the importer to a file its owner may move.
 * - No dependency cycle between workspace packages, and none between the files of one package.
 *   Type-only imports count: they still force a reader (and tsc) to hold both ends at once, and a
 *   type-only edge becomes a runtime one with a single edit.
 * - No source file over MAX_LINES lines, tests included.
 *
 * A dependency is a workspace package named in package.json (any dependency field) or imported by
 * a source file (`import`, `export ... from`, `import type`, `import()`).
 */

export type FileMap = Readonly<Record<string, string>>;

export const MAX_LINES = 400;
export const COMPOSITION_ROOT = "apps/launcher";

export type Rule =
  | "app-imports-app"
  | "package-imports-app"
  | "entry-point-only"
  | "package-cycle"
  | "file-cycle"
  | "file-too-long";

export interface Violation {
  rule: Rule;
  message: string;
}

export interface WorkspacePackage {
  name: string;
  dir: string;
  kind: "app" | "package";
  /** The specifiers its `exports` allow: the name itself, and `name/sub` for each `./sub`. */
  entries: string[];
}

/** Why one package depends on another: a package.json field, or a file and line. */
interface Evidence {
  where: string;
  typeOnly: boolean;
}

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;

const isSource = (path: string) => /\.[cm]?tsx?$/.test(path) && !path.endsWith(".d.ts");

export const lineCount = (text: string) => (text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0));

export function workspacePackages(files: FileMap): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const [path, text] of Object.entries(files)) {
    const m = /^(apps|packages)\/[^/]+\/package\.json$/.exec(path);
    if (!m) continue;
    const { name, exports } = JSON.parse(text) as { name?: unknown; exports?: unknown };
    if (typeof name !== "string") continue;
    // Conditions alone (`{ "import": … }`) or a plain string export only the package itself.
    const declared =
      exports && typeof exports === "object" ? Object.keys(exports).filter((k) => k.startsWith(".")) : [];
    const subpaths = declared.length > 0 ? declared : ["."];
    const entries = subpaths.map((k) => (k === "." ? name : `${name}/${k.slice(2)}`));
    found.push({ name, dir: posix.dirname(path), kind: m[1] === "apps" ? "app" : "package", entries });
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Whether `specifier` is one of the package's entry points (a `./sub/*` pattern matches any `sub/…`). */
function isEntry(p: WorkspacePackage, specifier: string): boolean {
  return p.entries.some((e) => (e.endsWith("*") ? specifier.startsWith(e.slice(0, -1)) : specifier === e));
}

function packageOf(path: string, packages: WorkspacePackage[]): WorkspacePackage | undefined {
  return packages.find((p) => path.startsWith(`${p.dir}/`));
}

/** The file a relative specifier names, if it is in the map (`./x.ts`, or `./x` and `./x/index.ts`). */
function resolveRelative(from: string, specifier: string, files: FileMap): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (candidate in files && isSource(candidate)) return candidate;
  }
  return undefined;
}

/** Strongly connected components with more than one member (Tarjan), each sorted. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/** One closed path through a component, from its first member back to it (shortest, by BFS). */
export function cyclePath(graph: ReadonlyMap<string, ReadonlySet<string>>, members: string[]): string[] {
  const inside = new Set(members);
  const start = members[0] as string;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at: string | undefined = v; at !== start && at !== undefined; at = previous.get(at))
          path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return members;
}

class Graph {
  readonly edges = new Map<string, Set<string>>();
  readonly evidence = new Map<string, Evidence[]>();
  node(v: string) {
    if (!this.edges.has(v)) this.edges.set(v, new Set());
  }
  add(from: string, to: string, why: Evidence) {
    this.node(from);
    this.node(to);
    this.edges.get(from)?.add(to);
    const key = `${from}\0${to}`;
    this.evidence.set(key, [...(this.evidence.get(key) ?? []), why]);
  }
  why(from: string, to: string): Evidence[] {
    return this.evidence.get(`${from}\0${to}`) ?? [];
  }
}

const describe = (evidence: Evidence[]) => {
  const shown = evidence.slice(0, 3).map((e) => (e.typeOnly ? `${e.where} (type-only)` : e.where));
  return evidence.length > 3 ? `${shown.join(", ")} and ${evidence.length - 3} more` : shown.join(", ");
};

function cycleMessages(graph: Graph, label: (v: string) => string): string[] {
  return cycles(graph.edges).map((members) => {
    const path = cyclePath(graph.edges, members);
    const steps = path.slice(1).map((to, k) => {
      const from = path[k] as string;
      return `${label(from)} -> ${label(to)}: ${describe(graph.why(from, to))}`;
    });
    return `${path.map(label).join(" -> ")}\n    ${steps.join("\n    ")}`;
  });
}

export interface Analysis {
  packages: WorkspacePackage[];
  /** Package name to the workspace packages it depends on, by package.json or by import. */
  dependencies: ReadonlyMap<string, ReadonlySet<string>>;
  violations: Violation[];
}

export const checkStructure = (files: FileMap, maxLines = MAX_LINES): Violation[] =>
  analyze(files, maxLines).violations;

export function analyze(files: FileMap, maxLines = MAX_LINES): Analysis {
  const violations: Violation[] = [];
  const packages = workspacePackages(files);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const packageGraph = new Graph();
  const fileGraphs = new Map<string, Graph>();
  for (const p of packages) packageGraph.node(p.name);

  for (const p of packages) {
    const manifest = JSON.parse(files[`${p.dir}/package.json`] as string) as Record<string, unknown>;
    for (const field of DEPENDENCY_FIELDS) {
      for (const dep of Object.keys((manifest[field] as Record<string, string> | undefined) ?? {})) {
        if (byName.has(dep) && dep !== p.name) {
          packageGraph.add(p.name, dep, { where: `${p.dir}/package.json ${field}`, typeOnly: false });
        }
      }
    }
  }

  for (const [path, text] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isSource(path)) continue;
    const lines = lineCount(text);
    if (lines > maxLines) {
      violations.push({ rule: "file-too-long", message: `${path} has ${lines} lines (at most ${maxLines})` });
    }
    const owner = packageOf(path, packages);
    if (!owner) continue;
    const fileGraph = fileGraphs.get(owner.name) ?? new Graph();
    fileGraphs.set(owner.name, fileGraph);
    fileGraph.node(path);
    for (const ref of importsOf(text)) {
      const where = { where: `${path}:${ref.line}`, typeOnly: ref.typeOnly };
      if (ref.specifier.startsWith("./") || ref.specifier.startsWith("../")) {
        const target = posix.normalize(posix.join(posix.dirname(path), ref.specifier));
        const targetOwner = packageOf(target, packages);
        if (targetOwner && targetOwner !== owner) {
          violations.push({
            rule: "entry-point-only",
            message: `${path}:${ref.line} reaches into ${targetOwner.dir} by a relative path ("${ref.specifier}"); import "${targetOwner.name}"`,
          });
          packageGraph.add(owner.name, targetOwner.name, where);
          continue;
        }
        const resolved = resolveRelative(path, ref.specifier, files);
        if (resolved) fileGraph.add(path, resolved, where);
        continue;
      }
      const target = packages.find((p) => ref.specifier === p.name || ref.specifier.startsWith(`${p.name}/`));
      if (!target || target === owner) continue;
      if (!isEntry(target, ref.specifier)) {
        violations.push({
          rule: "entry-point-only",
          message: `${path}:${ref.line} deep-imports "${ref.specifier}", which ${target.name}'s exports do not offer`,
        });
      }
      packageGraph.add(owner.name, target.name, where);
    }
  }

  for (const p of packages) {
    for (const dep of packageGraph.edges.get(p.name) ?? []) {
      const target = byName.get(dep) as WorkspacePackage;
      if (target.kind !== "app") continue;
      const why = describe(packageGraph.why(p.name, dep));
      if (p.kind === "package") {
        violations.push({
          rule: "package-imports-app",
          message: `${p.name} (a package) depends on the app ${dep}: ${why}`,
        });
      } else if (p.dir !== COMPOSITION_ROOT) {
        violations.push({
          rule: "app-imports-app",
          message: `${p.name} depends on the app ${dep} (only ${COMPOSITION_ROOT} may): ${why}`,
        });
      }
    }
  }

  for (const message of cycleMessages(packageGraph, (v) => v)) {
    violations.push({ rule: "package-cycle", message: `package cycle: ${message}` });
  }
  for (const [name, graph] of [...fileGraphs].sort(([a], [b]) => a.localeCompare(b))) {
    const dir = byName.get(name)?.dir ?? "";
    for (const message of cycleMessages(graph, (v) => v.slice(dir.length + 1))) {
      violations.push({ rule: "file-cycle", message: `file cycle in ${dir}: ${message}` });
    }
  }
  return { packages, dependencies: packageGraph.edges, violations };
}
