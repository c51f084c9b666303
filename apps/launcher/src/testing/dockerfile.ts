/**
 * A Dockerfile read into stages and instructions, as BuildKit's parser reads one: `\` continues
 * a line, comment lines inside a continuation are dropped, keywords are case-insensitive, leading
 * `--flag[=value]` options are split off, and an argument list in JSON form (`["node", "x.ts"]`)
 * is the exec form. Only what this repository's Dockerfile may use is accepted; anything else is
 * an error, so the image test cannot silently skip an instruction it does not understand.
 */
export interface Instruction {
  keyword: string;
  /** The arguments after the flags, as written (shell form). */
  args: string;
  /** The exec form, when the arguments are a JSON array of strings. */
  exec?: string[];
  flags: Record<string, string | true>;
  line: number;
}

export interface DockerfileStage {
  index: number;
  /** `AS <name>`, lower-cased; undefined for an unnamed stage. */
  name?: string;
  /** The image or earlier stage named by FROM. */
  from: string;
  instructions: Instruction[];
}

const KEYWORDS = new Set([
  "FROM",
  "WORKDIR",
  "COPY",
  "RUN",
  "ENV",
  "USER",
  "CMD",
  "HEALTHCHECK",
  "EXPOSE",
  "LABEL",
  "STOPSIGNAL",
]);

function logicalLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current: { text: string; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment and empty lines are dropped, inside a continuation too.
    if (trimmed.startsWith("#") || trimmed === "") return;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, "") : raw;
    current = current ? { ...current, text: `${current.text} ${piece.trim()}` } : { text: piece.trim(), line: i + 1 };
    if (!continues) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    if (Array.isArray(parsed) && parsed.every((a) => typeof a === "string")) return parsed;
  } catch {
    // Not JSON: Docker runs it in shell form.
  }
  return undefined;
}

function splitFlags(rest: string): { flags: Record<string, string | true>; args: string } {
  const flags: Record<string, string | true> = {};
  let args = rest;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(args);
    if (!m?.[1]) break;
    flags[m[1]] = m[2] ?? true;
    args = args.slice(m[0].length);
  }
  return { flags, args: args.trim() };
}

export function parseDockerfile(text: string): DockerfileStage[] {
  const stages: DockerfileStage[] = [];
  for (const { text: line, line: n } of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    const keyword = (m?.[1] ?? "").toUpperCase();
    if (!KEYWORDS.has(keyword)) throw new Error(`Dockerfile line ${n}: ${keyword} is not supported by the image test`);
    const { flags, args } = splitFlags(m?.[2] ?? "");
    const exec = execForm(args);
    const instruction: Instruction = { keyword, args, flags, line: n, ...(exec ? { exec } : {}) };
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+as\s+(\S+))?$/i.exec(args);
      if (!from?.[1]) throw new Error(`Dockerfile line ${n}: cannot read FROM ${args}`);
      stages.push({
        index: stages.length,
        from: from[1],
        instructions: [],
        ...(from[2] ? { name: from[2].toLowerCase() } : {}),
      });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile line ${n}: ${keyword} before the first FROM`);
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw new Error("Dockerfile has no FROM");
  return stages;
}

/** `K=V K2="V 2"` (or the legacy `K V`) of ENV and LABEL. */
export function keyValues(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^[A-Za-z_][\w.-]*=/.test(args)) {
    const legacy = /^(\S+)\s+(.*)$/.exec(args);
    if (legacy?.[1]) out[legacy[1]] = legacy[2] ?? "";
    return out;
  }
  for (const m of args.matchAll(/([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const [, key = "", raw = ""] = m;
    out[key] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return out;
}

export interface Healthcheck {
  /** Docker's test: `["NONE"]`, or `["CMD", ...argv]` / `["CMD-SHELL", command]`. */
  test: string[];
  options: Record<string, string>;
}

export function parseHealthcheck(ins: Instruction): Healthcheck {
  if (/^none$/i.test(ins.args)) return { test: ["NONE"], options: {} };
  const cmd = /^cmd\s+(.*)$/i.exec(ins.args);
  if (!cmd?.[1]) throw new Error(`Dockerfile line ${ins.line}: HEALTHCHECK needs NONE or CMD`);
  const exec = execForm(cmd[1]);
  const options = Object.fromEntries(
    Object.entries(ins.flags).map(([k, v]) => [k, v === true ? "" : v] as [string, string]),
  );
  return { test: exec ? ["CMD", ...exec] : ["CMD-SHELL", cmd[1]], options };
}
