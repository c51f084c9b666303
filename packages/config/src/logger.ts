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

/** Of a message, at most this much is logged: a driver's message may quote what it was sent. */
const MAX_MESSAGE = 300;

/**
 * A message without drizzle's "params: …" (every parameter of the statement), on one line (a
 * statement's text is indented SQL), cut to MAX_MESSAGE.
 */
function messageOf(text: string): string {
  const params = text.indexOf("\nparams:");
  const kept = (params >= 0 ? text.slice(0, params) : text).replace(/\s+/g, " ").trim();
  return kept.length > MAX_MESSAGE ? `${kept.slice(0, MAX_MESSAGE)}… (${kept.length} characters)` : kept;
}

/**
 * Errors log as their type, message and code, and what they wrap (`cause`, an AggregateError's
 * first `errors`); never a stack (noise; provider text is already our own) nor other fields. A
 * database error must not put a request in the log: drizzle's message is "Failed query: <sql>
 * params: <every parameter>", a whole batch of bodies for an insert, and postgres.js's errors
 * carry `parameters`, `args`, `query` and `detail`, which quotes the values of a conflict.
 */
function errorAsObject(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return messageOf(value);
  if (!(value instanceof Error)) return depth === 0 ? value : undefined;
  const type = value.name === "Error" ? value.constructor.name : value.name;
  const out: Record<string, unknown> = { type, message: messageOf(value.message) };
  const code = (value as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out.code = code;
  if (depth < 3) {
    if (value instanceof AggregateError) out.errors = value.errors.slice(0, 3).map((e) => errorAsObject(e, depth + 1));
    if (value.cause !== undefined) out.cause = errorAsObject(value.cause, depth + 1);
  }
  return out;
}
const logError = (value: unknown) => errorAsObject(value);

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
      serializers: { err: logError, error: logError },
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
