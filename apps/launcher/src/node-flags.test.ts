import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WORK_QUEUES } from "@switchyard/events";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { keyValues, parseDockerfile } from "./testing/dockerfile.ts";

// Each role runs with the same V8 flags wherever it runs (docs/DEPLOYING.md): the image's
// NODE_OPTIONS for every role, and for a worker a flag NODE_OPTIONS cannot carry, on its command
// in compose and in the manifests. `pnpm start` and `./sy` (one process for every role) and the
// bench pass them by hand.

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (rel: string) => readFileSync(join(ROOT, rel), "utf8");
const flagsOf = (words: readonly string[]) => words.filter((w) => w.startsWith("--"));
const split = (line: string) => line.trim().split(/\s+/);

/** NODE_OPTIONS of each stage of infra/Dockerfile, inherited along `FROM <stage>`, as the image test reads it. */
function stageOptions(): Map<string, string[]> {
  const stages = new Map<string, string[]>();
  for (const stage of parseDockerfile(read("infra/Dockerfile"))) {
    let options = stages.get(stage.from) ?? [];
    for (const ins of stage.instructions) {
      const value = ins.keyword === "ENV" ? keyValues(ins.args).NODE_OPTIONS : undefined;
      if (value !== undefined) options = split(value);
    }
    if (stage.name) stages.set(stage.name, options);
  }
  return stages;
}

describe("the node flags of every role", () => {
  const stages = stageOptions();
  const runtime = stages.get("runtime") ?? [];
  const compose = parse(read("docker-compose.yml"), { merge: true }) as {
    services: Record<string, { build?: { target?: string }; command?: string[]; environment?: object }>;
  };
  /** A manifest's container command: its first (a preStop hook's comes after it). */
  const manifestCommand = (role: string) =>
    JSON.parse(read(`infra/k8s/${role}.yaml`).match(/command: (\[.*\])/)?.[1] ?? "[]") as string[];
  const workerFlags = flagsOf(compose.services["crm-sync"]?.command ?? []);

  it("are the image's NODE_OPTIONS for every role, which compose and the manifests leave as they are", () => {
    expect(runtime).toEqual(["--max-semi-space-size=4", "--max-old-space-size=256"]);
    for (const stage of ["ingest", "admin", "migrate"]) expect(stages.get(stage), stage).toEqual(runtime);
    // A worker's old generation is left to V8 (--optimize-for-size keeps it small; infra/Dockerfile).
    expect(stages.get("worker")).toEqual(["--max-semi-space-size=4"]);
    expect(JSON.stringify(compose.services)).not.toMatch(/NODE_OPTIONS/);
    for (const role of ["ingest", "admin", ...WORK_QUEUES])
      expect(read(`infra/k8s/${role}.yaml`), role).not.toMatch(/NODE_OPTIONS/);
  });

  it("add the same flags on each worker's command in compose and the manifests, and none for ingest and admin", () => {
    expect(workerFlags).toEqual(["--optimize-for-size"]);
    for (const queue of WORK_QUEUES) {
      expect(compose.services[queue]?.build?.target, queue).toBe("worker");
      for (const command of [compose.services[queue]?.command ?? [], manifestCommand(queue)]) {
        expect(command, queue).toEqual(["node", ...workerFlags, `apps/${queue}/src/main.ts`]);
      }
    }
    for (const role of ["ingest", "admin"]) {
      for (const command of [compose.services[role]?.command ?? [], manifestCommand(role)]) {
        expect(command, role).toEqual(["node", `apps/${role}/src/main.ts`]);
      }
    }
  });

  it("are passed by pnpm start and ./sy (every role in one process, so ingest's) and by the bench", () => {
    const start = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts.start ?? "";
    expect(flagsOf(split(start))).toEqual(runtime);
    const sy = read("sy").match(/^exec node (.+) apps\/launcher\/src\/cli\/main\.ts/m)?.[1] ?? "";
    expect(flagsOf(split(sy))).toEqual(runtime);
    const bench = read("apps/bench/src/settings.ts");
    const list = (key: string) =>
      [...(bench.match(new RegExp(`${key}: \\[([^\\]]*)\\]`))?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(list("ingest")).toEqual(runtime);
    expect(list("worker")).toEqual([...(stages.get("worker") ?? []), ...workerFlags]);
  });
});
