import { type DestinationStream, pino, stdTimeFunctions } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(bindings: Fields): Logger;
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  /** Literal values that must never appear in output (webhook secrets, API keys, passwords). */
  secrets?: readonly string[];
  /** Receives each line without its newline; stdout when absent. */
  write?: (line: string) => void;
}

const REDACTED = "[redacted]";

/**
 * Field names whose value is censored whatever it is, at the top level and two levels down
 * (`{ headers: { authorization } }`, `{ req: { headers: { cookie } } }`). The one place to add a name.
 */
export const SENSITIVE_KEYS = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "password",
  "passwd",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "apiKey",
  "api_key",
  "x-api-key",
  "secret",
  "clientSecret",
  "client_secret",
  "webhookSecret",
  "stripe-signature",
] as const;

const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);
export const REDACT_PATHS = SENSITIVE_KEYS.flatMap((name) => [
  key(name).replace(/^\./, ""),
  `*${key(name)}`,
  `*.*${key(name)}`,
]);

/** Replaces every secret value in `text`; longest first, so a secret inside another still goes. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(secret, REDACTED);
  return out;
}

/** Errors log as their type and message: a stack adds noise, and provider text is already our own. */
const errorAsObject = (value: unknown) =>
  value instanceof Error ? { type: value.name, message: value.message } : value;

/**
 * pino, writing one JSON object per line: time (ISO), level (as a label), name, msg and the fields.
 * Every configured secret value is replaced wherever it appears in the line, and SENSITIVE_KEYS are
 * censored by pino's redact whatever their value.
 */
export function createLogger(opts: LoggerOptions, bindings: Fields = {}): Logger {
  // As they appear inside a JSON string, longest first.
  const secrets = [...(opts.secrets ?? [])]
    .sort((a, b) => b.length - a.length)
    .map((s) => JSON.stringify(s).slice(1, -1));
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const destination: DestinationStream = {
    write(chunk: string) {
      let line = chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk;
      for (const secret of secrets) line = line.replaceAll(secret, REDACTED);
      write(line);
    },
  };
  const root = pino(
    {
      level: opts.level ?? "info",
      base: { name: opts.name },
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: errorAsObject, error: errorAsObject },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    destination,
  );
  return wrap(Object.keys(bindings).length > 0 ? root.child(bindings) : root);
}

function wrap(log: pino.Logger): Logger {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (msg: string, fields?: Fields): void => {
      if (fields) log[level](fields, msg);
      else log[level](msg);
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => wrap(log.child(more)),
  };
}
