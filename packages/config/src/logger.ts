export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(bindings: Fields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  /** Literal values that must never appear in output (webhook secrets, API keys, passwords). */
  secrets?: readonly string[];
  write?: (line: string) => void;
}

/** Replaces every secret value in `text`; longest first, so a secret inside another still goes. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, "[redacted]");
  return out;
}

/** One JSON object per line; every configured secret value is replaced wherever it appears. */
export function createLogger(opts: LoggerOptions, bindings: Fields = {}): Logger {
  const min = RANK[opts.level ?? "info"];
  const secrets = [...(opts.secrets ?? [])].sort((a, b) => b.length - a.length);
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (level: Exclude<LogLevel, "silent">, msg: string, fields?: Fields) => {
    if (RANK[level] < min) return;
    let line = JSON.stringify(
      { time: new Date().toISOString(), level, name: opts.name, msg, ...bindings, ...fields },
      errorsAsObjects,
    );
    for (const secret of secrets) line = line.replaceAll(JSON.stringify(secret).slice(1, -1), "[redacted]");
    write(line);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (more) => createLogger(opts, { ...bindings, ...more }),
  };
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message };
  return value;
}
