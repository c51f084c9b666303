import { describe, expect, it } from "vitest";
import { importsOf } from "./scan.ts";

describe("importsOf", () => {
  it("finds every form of import and re-export, with its line and whether it is type-only", () => {
    const src = [
      'import a from "a";',
      'import type { B } from "b";',
      "import {",
      "  type C,",
      "  c,",
      '} from "c";',
      'import * as d from "d";',
      'import "e";',
      'export { f } from "f";',
      'export type { G } from "g";',
      'export * as h from "h";',
      'const i = await import("i");',
      'type J = typeof import("j");',
      'import type from "k";',
      "",
    ].join("\n");
    expect(importsOf(src)).toEqual([
      { specifier: "a", line: 1, typeOnly: false, kind: "static" },
      { specifier: "b", line: 2, typeOnly: true, kind: "static" },
      { specifier: "c", line: 3, typeOnly: false, kind: "static" },
      { specifier: "d", line: 7, typeOnly: false, kind: "static" },
      { specifier: "e", line: 8, typeOnly: false, kind: "side-effect" },
      { specifier: "f", line: 9, typeOnly: false, kind: "re-export" },
      { specifier: "g", line: 10, typeOnly: true, kind: "re-export" },
      { specifier: "h", line: 11, typeOnly: false, kind: "re-export" },
      { specifier: "i", line: 12, typeOnly: false, kind: "dynamic" },
      { specifier: "j", line: 13, typeOnly: true, kind: "dynamic" },
      { specifier: "k", line: 14, typeOnly: false, kind: "static" },
    ]);
  });

  it("ignores what only looks like an import", () => {
    const src = [
      "const url = new URL('.', import.meta.url);",
      "export const x = 1;",
      "export function from() {}",
      'const s = "import x from \\"q\\"";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template, to be scanned
      "const t = `${x}` + `import('q')`;",
      "const r = /import\\('q'\\)/g.test(s) ? 1 / 2 : 3;",
      "/** import q from 'q' */",
      "obj.import('q');",
      "",
    ].join("\n");
    expect(importsOf(src)).toEqual([]);
  });

  it("keeps line numbers through multi-line comments, strings and templates", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template, to be scanned
    const src = ["/*", " * two", " */", "const t = `a", "b ${`c`} d`;", 'import x from "x";', ""].join("\n");
    expect(importsOf(src)).toEqual([{ specifier: "x", line: 6, typeOnly: false, kind: "static" }]);
  });
});
