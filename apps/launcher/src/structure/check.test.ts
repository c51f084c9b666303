import { describe, expect, it } from "vitest";
import { analyze, checkStructure, cyclePath, cycles, type FileMap, lineCount, type Rule } from "./check.ts";

const manifest = (name: string, dependencies: Record<string, string> = {}, devDependencies = {}) =>
  JSON.stringify({ name, dependencies, devDependencies });
const lines = (n: number) => "export const x = 1;\n".repeat(n);

/** A small workspace that follows every rule: the launcher wires two apps, apps wire packages. */
const CLEAN: FileMap = {
  "apps/launcher/package.json": manifest("@s/launcher", { "@s/api": "workspace:*", "@s/worker": "workspace:*" }),
  "apps/launcher/src/main.ts": 'import { api } from "@s/api";\nimport { worker } from "@s/worker";\n',
  "apps/api/package.json": manifest("@s/api", { "@s/core": "workspace:*" }, { "@s/kit": "workspace:*" }),
  "apps/api/src/index.ts": 'import { core } from "@s/core";\nexport { route } from "./route.ts";\n',
  "apps/api/src/route.ts": 'import type { Core } from "@s/core";\nexport const route = 1;\n',
  "apps/api/src/route.test.ts": 'import { kit } from "@s/kit";\nimport { route } from "./route.ts";\n',
  "apps/worker/package.json": manifest("@s/worker", { "@s/core": "workspace:*" }),
  "apps/worker/src/index.ts": 'export const worker = await import("@s/core");\n',
  "packages/core/package.json": manifest("@s/core", { "@s/util": "workspace:*" }),
  "packages/core/src/index.ts": 'import { util } from "@s/util";\nexport * from "./a.ts";\n',
  "packages/core/src/a.ts": 'import { b } from "./b.ts";\n',
  "packages/core/src/b.ts": lines(400),
  "packages/util/package.json": manifest("@s/util"),
  "packages/util/src/index.ts": "export const util = 1;\n",
  "packages/kit/package.json": manifest("@s/kit", { "@s/util": "workspace:*" }),
  "packages/kit/src/index.ts": 'export { util as kit } from "@s/util";\n',
};

const rulesOf = (files: FileMap): Rule[] => checkStructure(files).map((v) => v.rule);
const only = (files: FileMap, rule: Rule) => checkStructure(files).filter((v) => v.rule === rule);

describe("checkStructure on a made-up workspace", () => {
  it("passes a tree that follows the rules, the launcher importing apps included", () => {
    expect(checkStructure(CLEAN)).toEqual([]);
    const { dependencies } = analyze(CLEAN);
    expect([...(dependencies.get("@s/launcher") ?? [])].sort()).toEqual(["@s/api", "@s/worker"]);
    expect([...(dependencies.get("@s/worker") ?? [])]).toEqual(["@s/core"]);
  });

  it("reports an app importing another app, with the file and line", () => {
    const tree = { ...CLEAN, "apps/worker/src/call.ts": '// why\nimport { route } from "@s/api";\n' };
    const found = only(tree, "app-imports-app");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain("@s/worker depends on the app @s/api");
    expect(found[0]?.message).toContain("apps/worker/src/call.ts:2");
  });

  it("reports an app that only declares another app in package.json", () => {
    const tree = { ...CLEAN, "apps/worker/package.json": manifest("@s/worker", {}, { "@s/api": "workspace:*" }) };
    expect(only(tree, "app-imports-app")[0]?.message).toContain("apps/worker/package.json devDependencies");
  });

  it("reports a type-only import of an app, and one in a test file", () => {
    const tree = { ...CLEAN, "apps/worker/src/x.test.ts": 'import type { Route } from "@s/api";\n' };
    expect(only(tree, "app-imports-app")[0]?.message).toContain("apps/worker/src/x.test.ts:1 (type-only)");
  });

  it("reports a package that depends on an app", () => {
    const tree = { ...CLEAN, "packages/kit/src/bad.ts": 'export type { Route } from "@s/worker";\n' };
    expect(checkStructure(tree)).toEqual([
      {
        rule: "package-imports-app",
        message: "@s/kit (a package) depends on the app @s/worker: packages/kit/src/bad.ts:1 (type-only)",
      },
    ]);
  });

  it("reports a package cycle made only of type imports", () => {
    const tree = { ...CLEAN, "packages/util/src/types.ts": 'import type {\n  Core,\n} from "@s/core";\n' };
    const found = only(tree, "package-cycle");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain("@s/core -> @s/util -> @s/core");
    expect(found[0]?.message).toContain("packages/util/src/types.ts:1 (type-only)");
  });

  it("reports a package cycle through a dynamic import and a devDependency", () => {
    const tree = {
      ...CLEAN,
      "packages/util/package.json": manifest("@s/util", {}, { "@s/kit": "workspace:*" }),
      "packages/kit/src/late.ts": 'export const load = () => import("@s/core");\n',
    };
    // kit -> core -> util -> kit: one component, reported once.
    const found = only(tree, "package-cycle");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain("@s/core -> @s/util -> @s/kit -> @s/core");
  });

  it("reports a file over the limit and passes one at it", () => {
    const tree = { ...CLEAN, "apps/api/src/long.test.ts": lines(401) };
    expect(checkStructure(tree)).toEqual([
      { rule: "file-too-long", message: "apps/api/src/long.test.ts has 401 lines (at most 400)" },
    ]);
    expect(lineCount(lines(400))).toBe(400);
    expect(lineCount("a\nb")).toBe(2);
    expect(lineCount("")).toBe(0);
  });

  it("reports a cycle between the files of one package, type-only edges and re-exports included", () => {
    const tree = {
      ...CLEAN,
      "packages/core/src/b.ts": 'export { type C } from "./deep/c.ts";\n',
      "packages/core/src/deep/c.ts": 'import type { A } from "../a.ts";\n',
    };
    const found = only(tree, "file-cycle");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain(
      "file cycle in packages/core: src/a.ts -> src/b.ts -> src/deep/c.ts -> src/a.ts",
    );
    expect(found[0]?.message).toContain("packages/core/src/deep/c.ts:1 (type-only)");
  });

  it("reports deep imports and relative paths into another package, the launcher's too", () => {
    const tree = {
      ...CLEAN,
      "apps/launcher/src/deep.ts": 'import { x } from "@s/api/src/route.ts";\n',
      "apps/launcher/src/reach.ts": 'import { x } from "../../api/src/route.ts";\n',
    };
    const found = only(tree, "entry-point-only").map((v) => v.message);
    expect(found).toEqual([
      `apps/launcher/src/deep.ts:1 deep-imports "@s/api/src/route.ts", which @s/api's exports do not offer`,
      'apps/launcher/src/reach.ts:1 reaches into apps/api by a relative path ("../../api/src/route.ts"); import "@s/api"',
    ]);
    // A subpath the package's exports declare is an entry point like ".".
    const declared = {
      ...CLEAN,
      "packages/util/package.json": JSON.stringify({
        name: "@s/util",
        exports: { ".": "./src/index.ts", "./testing": "./src/testing.ts", "./fixtures/*": "./src/fixtures/*.ts" },
      }),
      "packages/kit/src/fake.ts": 'import { a } from "@s/util/testing";\nimport { b } from "@s/util/fixtures/b";\n',
      "packages/kit/src/deep.ts": 'import { c } from "@s/util/src/testing.ts";\n',
    };
    expect(only(declared, "entry-point-only").map((v) => v.message)).toEqual([
      `packages/kit/src/deep.ts:1 deep-imports "@s/util/src/testing.ts", which @s/util's exports do not offer`,
    ]);
    // A relative path into another app is still an app importing an app.
    const reach = { ...CLEAN, "apps/worker/src/reach.ts": 'import { x } from "../../api/src/route.ts";\n' };
    expect(rulesOf(reach).sort()).toEqual(["app-imports-app", "entry-point-only"]);
  });

  it("does not count specifiers in strings, templates or comments", () => {
    const tree = {
      ...CLEAN,
      "apps/worker/src/quoted.ts": [
        `const a = 'import { route } from "@s/api";';`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template, to be scanned
        'const b = `import("@s/api") ${`export * from "@s/api"`}`;',
        '// import { route } from "@s/api";',
        '/* export { x } from "@s/api"; */',
        'const re = /from "@s\\/api"/;',
        "",
      ].join("\n"),
    };
    expect(checkStructure(tree)).toEqual([]);
  });
});

describe("cycles", () => {
  const graph = (edges: [string, string][]) => {
    const g = new Map<string, Set<string>>();
    for (const [a, b] of edges) {
      g.set(a, (g.get(a) ?? new Set()).add(b));
      if (!g.has(b)) g.set(b, new Set());
    }
    return g;
  };

  it("finds each strongly connected component once and ignores self-loops", () => {
    const g = graph([
      ["a", "b"],
      ["b", "c"],
      ["c", "a"],
      ["c", "d"],
      ["d", "e"],
      ["e", "d"],
      ["f", "f"],
      ["f", "a"],
    ]);
    expect(cycles(g)).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    expect(cyclePath(g, ["a", "b", "c"])).toEqual(["a", "b", "c", "a"]);
    expect(cycles(graph([["a", "b"]]))).toEqual([]);
  });
});
