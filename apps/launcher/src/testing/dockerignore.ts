import { lstatSync, readdirSync } from "node:fs";
import { posix } from "node:path";

/**
 * .dockerignore as Docker reads it (moby/patternmatcher and its ignorefile reader): one pattern a
 * line, `#` lines are comments, each pattern trimmed and path-cleaned with a leading `/` dropped,
 * `!` marks an exception. Go's filepath.Match syntax (`*` and `?` never cross a `/`, `[...]`
 * classes, `\` escapes) plus `**`, any number of directories, none included. A path is left out
 * when the last pattern that matches it, or one of its parent directories, is not an exception.
 */
export interface IgnorePattern {
  text: string;
  exception: boolean;
  regex: RegExp;
}

/** Go's path.Clean, enough for patterns: no empty or `.` segments, `..` folded, no trailing `/`. */
function clean(path: string): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else out.push(seg);
  }
  const joined = out.join("/");
  return path.startsWith("/") ? `/${joined}` : joined || ".";
}

/** The regular expression moby compiles a cleaned pattern to. */
export function patternRegex(pattern: string): RegExp {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") i++;
        // `**` at the end matches everything below; elsewhere any number of directories, or none.
        re += i + 1 >= pattern.length ? ".*" : "(.*/)?";
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else if (ch === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) re += "\\\\";
      else {
        re += `\\${next}`;
        i++;
      }
    } else if (ch === "[" || ch === "]") re += ch;
    else if (".+()|{}$".includes(ch)) re += `\\${ch}`;
    else re += ch;
  }
  return new RegExp(`${re}$`);
}

export function parseDockerignore(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  for (const raw of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    if (raw.startsWith("#")) continue;
    let line = raw.trim();
    if (!line) continue;
    const exception = line.startsWith("!");
    if (exception) line = line.slice(1).trim();
    if (!line) throw new Error('.dockerignore: illegal exclusion pattern "!"');
    let cleaned = clean(line);
    if (cleaned.length > 1 && cleaned.startsWith("/")) cleaned = cleaned.slice(1);
    patterns.push({ text: cleaned, exception, regex: patternRegex(cleaned) });
  }
  return patterns;
}

/** moby's MatchesOrParentMatches: is this context-relative, slash-separated path left out? */
export function isIgnored(patterns: readonly IgnorePattern[], path: string): boolean {
  const file = clean(path);
  if (file === ".") return false;
  const parents = posix.dirname(file) === "." ? [] : posix.dirname(file).split("/");
  let matched = false;
  for (const p of patterns) {
    // An inclusion cannot change a match already made, nor an exception a path not matched.
    if (p.exception !== matched) continue;
    let match = p.regex.test(file);
    for (let i = 0; !match && i < parents.length; i++) match = p.regex.test(parents.slice(0, i + 1).join("/"));
    if (match) matched = !p.exception;
  }
  return matched;
}

/**
 * Every file and symlink of the build context that Docker would send: context-relative paths.
 * A directory left out is still walked when an exception could bring back something inside it.
 */
export function contextFiles(root: string, patterns: readonly IgnorePattern[]): string[] {
  const hasExceptions = patterns.some((p) => p.exception);
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(posix.join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(posix.join(root, path));
      const ignored = isIgnored(patterns, path);
      if (stat.isDirectory()) {
        if (!ignored || hasExceptions) walk(path);
      } else if (!ignored) files.push(path);
    }
  };
  walk("");
  return files;
}
