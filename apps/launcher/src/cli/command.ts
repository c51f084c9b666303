import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

export interface Option {
  type: "string" | "boolean";
  short?: string;
  /** The value's name in help: `--url <url>`. */
  value?: string;
  description: string;
}

export interface Args {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** What follows `./sy <name>` in the usage line; `[options]` unless said. */
  usage?: string;
  /** Printed under the usage line by --help. */
  details?: string;
  options?: Record<string, Option>;
  /** Positional arguments accepted; none unless said. */
  positionals?: number;
  /** Arguments are handed on unparsed (`./sy test` gives them to turbo, as `pnpm check` did). */
  passthrough?: boolean;
  /** Listed by `./sy help`, not built yet. */
  coming?: boolean;
  /** A number is the exit code; nothing leaves the process to what run started (servers). */
  run?(args: Args): Promise<number | undefined>;
}

/** A command line that cannot be run as given: one line on stderr and exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const EXIT_USAGE = 2;

const HELP: Option = { type: "boolean", short: "h", description: "show this help" };

function optionsOf(cmd: Command): Record<string, Option> {
  return { ...cmd.options, help: HELP };
}

/** Optimal string alignment distance: a swapped pair of letters ("strat") counts once. */
function distance(a: string, b: string): number {
  const w = b.length + 1;
  const d = new Array<number>((a.length + 1) * w).fill(0);
  const at = (i: number, j: number) => d[i * w + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * w] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * w + j] = v;
    }
  }
  return at(a.length, b.length);
}

/** The candidate a typo most likely meant, or undefined when none is close. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const lower = input.toLowerCase();
  const prefixed = candidates.filter((c) => lower.length >= 2 && c.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  const limit = lower.length <= 3 ? 1 : lower.length <= 8 ? 2 : 3;
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = distance(lower, name.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

export const didYouMean = (suggestion: string | undefined) => (suggestion ? ` — did you mean "${suggestion}"?` : "");

/** `help` when --help was asked for; a UsageError for anything the command does not take. */
export function parse(cmd: Command, argv: readonly string[]): Args | "help" {
  if (cmd.passthrough) {
    return argv[0] === "--help" || argv[0] === "-h" ? "help" : { values: {}, positionals: [...argv] };
  }
  const options = optionsOf(cmd);
  const config: ParseArgsOptionsConfig = {};
  for (const [name, o] of Object.entries(options))
    config[name] = { type: o.type, ...(o.short ? { short: o.short } : {}) };
  let parsed: Args;
  try {
    // No option is `multiple`, so no value is an array.
    parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true, strict: true }) as Args;
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const flag = /'([^']+)'/.exec(message)?.[1] ?? "";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const long = Object.keys(options).map((o) => `--${o}`);
      const hint = flag.startsWith("--") ? didYouMean(closest(flag, long)) : "";
      throw new UsageError(`unknown option ${flag}${hint}`);
    }
    const name = /--[\w-]+/.exec(flag)?.[0] ?? flag;
    if (message.includes("argument missing")) throw new UsageError(`${name} needs a value`);
    if (message.includes("does not take an argument")) throw new UsageError(`${name} takes no value`);
    throw new UsageError(message);
  }
  if (parsed.values.help) return "help";
  const max = cmd.positionals ?? 0;
  const extra = parsed.positionals[max];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  return parsed;
}

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: ./sy ${cmd.name} ${cmd.usage ?? "[options]"}`, "", `${capital(cmd.summary)}.`];
  if (cmd.coming) lines.push("", "Not built yet.");
  if (cmd.details) lines.push("", cmd.details);
  if (!cmd.coming) {
    const rows = Object.entries(optionsOf(cmd)).map(([name, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` <${o.value}>` : ""}`;
      return [flag, o.description] as const;
    });
    const width = Math.max(...rows.map(([flag]) => flag.length));
    lines.push("", "Options:", ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`));
  }
  return `${lines.join("\n")}\n`;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function commandList(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return commands.map((c) => `  ${c.name.padEnd(width)}  ${c.coming ? "(coming) " : ""}${c.summary}`).join("\n");
}

/** For an entry point started directly (`pnpm start --help`): the options of its ./sy command. */
export function parseDirect(cmd: Command): void {
  try {
    if (parse(cmd, process.argv.slice(2)) !== "help") return;
    process.stdout.write(commandHelp(cmd));
    process.exit(0);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${cmd.name}: ${err.message}\nRun ./sy ${cmd.name} --help for its options.\n`);
    process.exit(EXIT_USAGE);
  }
}
