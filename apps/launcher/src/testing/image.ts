import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from "node:fs";
import { basename, dirname, join, posix } from "node:path";
import { type DockerfileStage, type Healthcheck, keyValues, parseDockerfile, parseHealthcheck } from "./dockerfile.ts";
import { contextFiles, parseDockerignore } from "./dockerignore.ts";

/**
 * infra/Dockerfile built without Docker: the file tree each stage would hold, on disk. The
 * context is filtered by .dockerignore as Docker filters it, every COPY is performed into a folder
 * per stage, and the RUN commands are run there: `pnpm fetch` and `pnpm install` with this
 * machine's pnpm and store, the pnpm install command checked against package.json's
 * `packageManager`. A RUN it does not know is an error, not a skip: the tree would be a guess.
 */
export interface BuildOptions {
  /** The build context as on disk; Docker sends what .dockerignore leaves of it. */
  context: string;
  dockerfile: string;
  dockerignore: string;
  /** Stages to build (by name); the last stage when none, as `docker build` without --target. */
  targets?: string[];
  /** An empty folder for the filtered context and each stage's file system. */
  out: string;
}

export interface StageImage {
  name: string;
  /** This stage's `/`. */
  root: string;
  /** WORKDIR, as a path inside the image. */
  workdir: string;
  env: Record<string, string>;
  user: string;
  cmd?: string[];
  healthcheck?: Healthcheck;
  expose: string[];
  /** The registry image at the bottom of this stage's FROM chain. */
  baseImage: string;
}

export interface BuiltImage {
  stages: Map<string, StageImage>;
  /** The context as Docker would send it: context-relative paths. */
  sent: string[];
  /** Where that filtered context was laid out. */
  contextDir: string;
}

interface State extends StageImage {
  /** False while the root is still the parent stage's, shared until this stage changes it. */
  owned: boolean;
  /** The pnpm version a RUN installed in this stage's chain. */
  pnpm?: string;
  /** sha256 of the lockfile `pnpm fetch` ran on in this stage's chain (its store has those packages). */
  fetched?: string;
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

let localPnpm: { version: string; store: string } | undefined;
function pnpmHere(): { version: string; store: string } {
  localPnpm ??= {
    version: execFileSync("pnpm", ["--version"], { encoding: "utf8" }).trim(),
    store: execFileSync("pnpm", ["store", "path"], { encoding: "utf8", cwd: "/" }).trim(),
  };
  return localPnpm;
}

/**
 * `cp -a`: modes and relative symlinks kept (pnpm's node_modules is thousands of them). Between
 * stages (`link`), files are hard-linked rather than copied, three times faster for an installed
 * tree: no later step here writes into a file in place (pnpm replaces files), so the stage copied
 * from never sees a change.
 */
function copyTree(from: string, to: string, link = false) {
  mkdirSync(to, { recursive: true });
  execFileSync("cp", [link ? "-al" : "-a", `${from}/.`, to]);
}

function stageContext(context: string, files: readonly string[], to: string) {
  for (const rel of files) {
    const src = join(context, rel);
    const dst = join(to, rel);
    mkdirSync(dirname(dst), { recursive: true });
    if (lstatSync(src).isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else copyFileSync(src, dst);
  }
}

/** The stages a target needs: its FROM chain and every COPY --from, recursively. */
function needed(stages: readonly DockerfileStage[], targets: readonly string[]): Set<number> {
  const byRef = (ref: string) => stages.find((s) => s.name === ref.toLowerCase() || String(s.index) === ref);
  const out = new Set<number>();
  const visit = (s: DockerfileStage) => {
    if (out.has(s.index)) return;
    out.add(s.index);
    const parent = byRef(s.from);
    if (parent && parent.index < s.index) visit(parent);
    for (const ins of s.instructions) {
      const from = ins.flags.from;
      if (typeof from === "string") {
        const dep = byRef(from);
        if (!dep) throw new Error(`Dockerfile line ${ins.line}: COPY --from=${from} names no stage`);
        visit(dep);
      }
    }
  };
  for (const t of targets) {
    const s = byRef(t);
    if (!s) throw new Error(`Dockerfile has no stage named ${t}`);
    visit(s);
  }
  return out;
}

function resolveIn(workdir: string, path: string): string {
  return posix.resolve(workdir, path);
}

function copy(state: State, sources: string[], dest: string, from: string, line: number, link: boolean) {
  const target = join(state.root, resolveIn(state.workdir, dest));
  const many = sources.length > 1 || sources.some((s) => s.includes("*"));
  for (const src of sources) {
    const rel = posix.normalize(src.replace(/^\/+/, "") || ".").replace(/(.)\/$/, "$1");
    if (rel.startsWith("..")) throw new Error(`Dockerfile line ${line}: COPY ${src} leaves the context`);
    const matches = rel.includes("*") ? glob(from, rel) : [rel];
    if (matches.length === 0 || !matches.every((m) => existsSync(join(from, m)))) {
      throw new Error(`Dockerfile line ${line}: COPY failed: "/${rel}": not found`);
    }
    for (const m of matches) {
      const abs = join(from, m);
      if (lstatSync(abs).isDirectory()) copyTree(abs, target, link);
      else {
        const intoDir = many || dest.endsWith("/") || (existsSync(target) && lstatSync(target).isDirectory());
        const file = intoDir ? join(target, basename(m)) : target;
        mkdirSync(dirname(file), { recursive: true });
        execFileSync("cp", ["-a", abs, file]);
      }
    }
  }
}

/** A `*` in the last segment only, which is all a COPY here needs. */
function glob(root: string, rel: string): string[] {
  const dir = posix.dirname(rel);
  if (dir.includes("*")) throw new Error(`COPY ${rel}: a wildcard outside the last segment is not supported`);
  const re = new RegExp(
    `^${posix
      .basename(rel)
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")}$`,
  );
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((n) => re.test(n))
    .map((n) => (dir === "." ? n : `${dir}/${n}`));
}

const PNPM_PROVISION = [
  /^npm (?:install|i) (?:--global|-g) pnpm@(\S+)$/,
  /^corepack (?:prepare|install -g) pnpm@(\S+)(?: --activate)?$/,
];

function run(state: State, args: string, line: number, packageManager: string, own: (s: State) => void) {
  if (/["'`$|;<>(){}\\]/.test(args))
    throw new Error(`Dockerfile line ${line}: RUN ${args}: only plain commands joined by && are supported`);
  for (const command of args.split("&&").map((c) => c.trim())) {
    if (command === "corepack enable" || command === "corepack enable pnpm") continue;
    const provision = PNPM_PROVISION.map((re) => re.exec(command)?.[1]).find(Boolean);
    if (provision) {
      if (`pnpm@${provision}` !== packageManager) {
        throw new Error(`Dockerfile line ${line}: installs pnpm@${provision}, package.json says ${packageManager}`);
      }
      state.pnpm = provision;
      continue;
    }
    const [tool, sub, ...rest] = command.split(/\s+/);
    if (tool !== "pnpm" || (sub !== "fetch" && sub !== "install" && sub !== "i")) {
      throw new Error(`Dockerfile line ${line}: the image test does not know how to RUN ${command}`);
    }
    if (!state.pnpm) throw new Error(`Dockerfile line ${line}: RUN ${command}: no pnpm installed in this stage`);
    const here = pnpmHere();
    if (here.version !== state.pnpm)
      throw new Error(`the image installs pnpm ${state.pnpm}, this machine runs ${here.version}`);
    own(state);
    const cwd = join(state.root, state.workdir);
    const lockfile = join(cwd, "pnpm-lock.yaml");
    if (sub !== "fetch" && rest.includes("--offline")) {
      // In Docker the store lives in the stage: offline, it holds only what a fetch put there.
      if (!existsSync(lockfile) || state.fetched !== sha256(lockfile)) {
        throw new Error(`Dockerfile line ${line}: RUN ${command} with no pnpm fetch of this lockfile before it`);
      }
    }
    try {
      execFileSync("pnpm", [sub, ...rest], {
        cwd,
        encoding: "utf8",
        stdio: "pipe",
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/root",
          npm_config_store_dir: here.store,
          ...state.env,
        },
      });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(
        `Dockerfile line ${line}: RUN ${command} failed:\n${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim()}`,
      );
    }
    if (sub === "fetch") state.fetched = sha256(lockfile);
  }
}

export function buildImage(opts: BuildOptions): BuiltImage {
  const stages = parseDockerfile(opts.dockerfile);
  const patterns = parseDockerignore(opts.dockerignore);
  const sent = contextFiles(opts.context, patterns);
  const contextDir = join(opts.out, "context");
  stageContext(opts.context, sent, contextDir);
  const manifest = JSON.parse(readFileSync(join(contextDir, "package.json"), "utf8")) as { packageManager?: string };
  const packageManager = manifest.packageManager ?? "";
  const last = stages[stages.length - 1] as DockerfileStage;
  const wanted = needed(stages, opts.targets?.length ? opts.targets : [last.name ?? String(last.index)]);
  let copies = 0;
  /** Gives a stage that still shares its parent's root a copy of its own, before it changes it. */
  const own = (state: State) => {
    if (state.owned) return;
    const root = join(opts.out, `stage-${++copies}-${state.name}`);
    if (existsSync(state.root)) copyTree(state.root, root);
    else mkdirSync(root, { recursive: true });
    state.root = root;
    state.owned = true;
  };
  const built = new Map<number, State>();
  const result = new Map<string, StageImage>();
  for (const stage of stages) {
    if (!wanted.has(stage.index)) continue;
    const name = stage.name ?? String(stage.index);
    const parent = [...built.values()].find((s) => s.name === stage.from.toLowerCase());
    const state: State = parent
      ? { ...parent, name, env: { ...parent.env }, expose: [...parent.expose], owned: false }
      : {
          name,
          root: join(opts.out, `empty-${name}`), // created by the first change
          workdir: "/",
          env: {},
          user: "root",
          expose: [],
          baseImage: stage.from,
          owned: false,
        };
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case "WORKDIR":
          own(state);
          state.workdir = resolveIn(state.workdir, ins.args);
          mkdirSync(join(state.root, state.workdir), { recursive: true });
          break;
        case "COPY": {
          const words = ins.exec ?? ins.args.split(/\s+/);
          const dest = words[words.length - 1] ?? "";
          const unknown = Object.keys(ins.flags).filter((f) => !["from", "chown", "link"].includes(f));
          if (unknown.length > 0) throw new Error(`Dockerfile line ${ins.line}: COPY --${unknown[0]} is not supported`);
          const fromRef = ins.flags.from;
          let source = contextDir;
          if (typeof fromRef === "string") {
            const dep = [...built.values()].find((s) => s.name === fromRef.toLowerCase());
            if (!dep) throw new Error(`Dockerfile line ${ins.line}: COPY --from=${fromRef}: not a stage built before`);
            source = dep.root;
          }
          own(state);
          copy(state, words.slice(0, -1), dest, source, ins.line, source !== contextDir);
          break;
        }
        case "RUN":
          // A cache or secret mount would change what the store holds between steps: not modelled.
          if (Object.keys(ins.flags).length > 0)
            throw new Error(`Dockerfile line ${ins.line}: RUN flags are not supported`);
          run(state, ins.exec ? ins.exec.join(" ") : ins.args, ins.line, packageManager, own);
          break;
        case "ENV":
          if (ins.args.includes("$"))
            throw new Error(`Dockerfile line ${ins.line}: ENV with a $ reference is not supported`);
          Object.assign(state.env, keyValues(ins.args));
          break;
        case "USER":
          state.user = ins.args;
          break;
        case "CMD":
          state.cmd = ins.exec ?? ["/bin/sh", "-c", ins.args];
          break;
        case "HEALTHCHECK":
          state.healthcheck = parseHealthcheck(ins);
          break;
        case "EXPOSE":
          state.expose.push(...ins.args.split(/\s+/));
          break;
        default:
          break; // LABEL, STOPSIGNAL: metadata the tree does not depend on
      }
    }
    built.set(stage.index, state);
    result.set(name, state);
  }
  return { stages: result, sent, contextDir };
}
