/**
 * The module specifiers a TypeScript source file imports, found by tokenizing it rather than by a
 * regex over the text: a specifier quoted inside a string, a template or a comment (this
 * directory's own tests are full of them) must not count, and a multi-line import clause must.
 * The compiler's parser is not an option: TypeScript 7 ships no JavaScript API.
 */

export interface ImportRef {
  specifier: string;
  /** 1-based line of the `import` or `export` keyword. */
  line: number;
  /** `import type`, `export type` or `typeof import(...)`: erased at runtime, still a dependency. */
  typeOnly: boolean;
  kind: "static" | "re-export" | "side-effect" | "dynamic";
}

interface Token {
  kind: "id" | "str" | "punct" | "other";
  value: string;
  line: number;
}

/** Keywords after which a `/` starts a regular expression rather than a division. */
const BEFORE_REGEX = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "instanceof",
  "yield",
  "await",
]);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  // What each open `{` belongs to: a block, or a template's `${`, after whose `}` the template resumes.
  const braces: ("block" | "template")[] = [];
  let line = 1;
  let i = 0;
  const push = (kind: Token["kind"], value: string, at: number) => tokens.push({ kind, value, line: at });

  /** Scans template text from `i` (just past a backtick or a `}`) to its end or its next `${`. */
  const templateText = () => {
    const start = line;
    while (i < src.length) {
      const c = src[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        push("other", "`", start);
        return;
      } else if (c === "$" && src[i + 1] === "{") {
        i += 2;
        braces.push("template");
        push("punct", "${", start);
        return;
      } else {
        if (c === "\n") line++;
        i++;
      }
    }
  };

  const regexAllowed = () => {
    const prev = tokens.at(-1);
    if (!prev) return true;
    if (prev.kind === "id") return BEFORE_REGEX.has(prev.value);
    if (prev.kind === "punct") return !")]}".includes(prev.value);
    return prev.kind === "other" && prev.value !== "`";
  };

  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end === -1 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === "\n") line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      const start = line;
      let value = "";
      i++;
      while (i < src.length && src[i] !== c && src[i] !== "\n") {
        if (src[i] === "\\") {
          value += src[i + 1] ?? "";
          i += 2;
        } else value += src[i++];
      }
      i++;
      push("str", value, start);
    } else if (c === "`") {
      i++;
      templateText();
    } else if (/[A-Za-z_$]/.test(c)) {
      const start = i;
      while (i < src.length && /[\w$]/.test(src[i] as string)) i++;
      push("id", src.slice(start, i), line);
    } else if (/\d/.test(c)) {
      const start = i;
      while (i < src.length && /[\w.]/.test(src[i] as string)) i++;
      push("other", src.slice(start, i), line);
    } else if (c === "/" && regexAllowed()) {
      let inClass = false;
      i++;
      while (i < src.length && src[i] !== "\n") {
        const r = src[i];
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        i++;
      }
      i++;
      while (i < src.length && /[a-z]/.test(src[i] as string)) i++;
      push("other", "regex", line);
    } else if (c === "{") {
      braces.push("block");
      push("punct", c, line);
      i++;
    } else if (c === "}") {
      i++;
      if (braces.pop() === "template") templateText();
      else push("punct", c, line);
    } else {
      push("punct", c, line);
      i++;
    }
  }
  return tokens;
}

/** Tokens an import or export clause can hold before its `from`. */
const isClauseToken = (t: Token) =>
  (t.kind === "id" && t.value !== "import" && t.value !== "export") || (t.kind === "punct" && "{},*".includes(t.value));

export function importsOf(src: string): ImportRef[] {
  const tokens = tokenize(src);
  const refs: ImportRef[] = [];
  const at = (k: number) => tokens[k];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (t.kind !== "id" || (t.value !== "import" && t.value !== "export")) continue;
    // `x.import` and `import.meta` are not imports.
    if (at(k - 1)?.value === "." || at(k + 1)?.value === ".") continue;
    const next = at(k + 1);
    if (t.value === "import" && next?.value === "(") {
      const spec = at(k + 2);
      if (spec?.kind === "str") {
        refs.push({ specifier: spec.value, line: t.line, typeOnly: at(k - 1)?.value === "typeof", kind: "dynamic" });
      }
      continue;
    }
    if (t.value === "import" && next?.kind === "str") {
      refs.push({ specifier: next.value, line: t.line, typeOnly: false, kind: "side-effect" });
      continue;
    }
    let j = k + 1;
    while (at(j) && isClauseToken(at(j) as Token) && !(at(j)?.value === "from" && at(j + 1)?.kind === "str")) j++;
    const spec = at(j + 1);
    if (at(j)?.value !== "from" || spec?.kind !== "str") continue;
    // `import type from "x"` imports a default export named `type`.
    const typeOnly = next?.value === "type" && j !== k + 2;
    refs.push({
      specifier: spec.value,
      line: t.line,
      typeOnly,
      kind: t.value === "import" ? "static" : "re-export",
    });
  }
  return refs;
}
