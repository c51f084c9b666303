import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, secretValues } from "./config.ts";
import { createLogger } from "./logger.ts";

// 24 and 32 random-looking bytes: Standard Webhooks keys must be 24-64 bytes.
const KEY_A = `whsec_${Buffer.alloc(24, 7).toString("base64")}`;
const KEY_B = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;

describe("parseConfig", () => {
  it("has working defaults with nothing set", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      REDIS_URL: "redis://127.0.0.1:6379",
      QUEUE_PREFIX: "switchyard",
      DATA_DIR: "./.data",
      INGEST_PORT: 3000,
      ADMIN_PORT: 3001,
      STRIPE_WEBHOOK_SECRET: [],
      APP_API_KEYS: [],
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.webhookSources.size).toBe(0);
  });

  it("has the KPI thresholds' defaults, and refuses a rate outside 0-100", () => {
    expect(parseConfig({})).toMatchObject({
      KPI_CHECK_INTERVAL_MS: 60_000,
      KPI_DUPLICATE_CONTACT_RATE_MAX: 0,
      KPI_PAYMENT_SYNC_SUCCESS_MIN: 99,
      KPI_TICKETS_MISSING_CONTEXT_MAX: 2,
      KPI_WEBHOOK_FAILURE_RATE_MAX: 1,
      KPI_OVERRIDES_PER_WEEK_MAX: 10,
      KPI_OPENAI_ERROR_RATE_MAX: 5,
    });
    expect(parseConfig({ KPI_PAYMENT_SYNC_SUCCESS_MIN: "99.5" }).KPI_PAYMENT_SYNC_SUCCESS_MIN).toBe(99.5);
    expect(() => parseConfig({ KPI_WEBHOOK_FAILURE_RATE_MAX: "101" })).toThrow(/KPI_WEBHOOK_FAILURE_RATE_MAX/);
    expect(() => parseConfig({ KPI_CHECK_INTERVAL_MS: "10" })).toThrow(/KPI_CHECK_INTERVAL_MS/);
  });

  it("splits comma-separated secrets for rotation", () => {
    const c = parseConfig({ STRIPE_WEBHOOK_SECRET: "whsec_new, whsec_old ,", APP_API_KEYS: "a1234,b1234" });
    expect(c.STRIPE_WEBHOOK_SECRET).toEqual(["whsec_new", "whsec_old"]);
    expect(c.APP_API_KEYS).toEqual(["a1234", "b1234"]);
  });

  it("collects WEBHOOK_SECRET_<SOURCE> into lower-case generic sources", () => {
    const c = parseConfig({ WEBHOOK_SECRET_ACME: `${KEY_A},${KEY_B}`, WEBHOOK_SECRET_BILLING_TOOL: KEY_A });
    expect([...c.webhookSources.entries()]).toEqual([
      ["acme", [KEY_A, KEY_B]],
      ["billing_tool", [KEY_A]],
    ]);
  });

  it("refuses a generic secret for a provider source, and a secret that is not whsec_", () => {
    expect(() => parseConfig({ WEBHOOK_SECRET_STRIPE: KEY_A })).toThrow(ConfigError);
    expect(() => parseConfig({ WEBHOOK_SECRET_ACME: "hunter2" })).toThrow(/whsec_/);
  });

  it.each([
    ["decodes to nothing", "whsec_=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["is too short to be a key", "whsec_YQ=="],
    ["is not base64", "whsec_not*base64*at*all*at*all*at*all"],
    ["is only commas", ","],
  ])("refuses a Standard Webhooks secret that %s", (_label, secret) => {
    expect(() => parseConfig({ WEBHOOK_SECRET_ACME: secret })).toThrow(ConfigError);
  });

  it("names every bad variable without echoing its value", () => {
    let message = "";
    try {
      parseConfig({ REDIS_URL: "http://s3cr3t-host", INGEST_PORT: "99999", ADMIN_USER: "root" });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/REDIS_URL/);
    expect(message).toMatch(/INGEST_PORT/);
    expect(message).toMatch(/ADMIN_USER and ADMIN_PASSWORD/);
    expect(message).not.toContain("s3cr3t-host");
  });

  it("lists secret values, including passwords inside URLs", () => {
    const c = parseConfig({
      STRIPE_WEBHOOK_SECRET: "whsec_abcdef",
      DATABASE_URL: "postgres://u:db-pass-123@h/db",
      REDIS_URL: "redis://:redis-pass-9@h:6379",
    });
    expect(secretValues(c)).toEqual(expect.arrayContaining(["whsec_abcdef", "db-pass-123", "redis-pass-9"]));
  });
});

describe("createLogger", () => {
  it("writes JSON lines and redacts secret values wherever they appear", () => {
    const lines: string[] = [];
    const log = createLogger({ name: "t", secrets: ["whsec_top", 'k"ey'], write: (l) => lines.push(l) }).child({
      app: "x",
    });
    log.info("leak whsec_top?", { header: "t=1,v1=whsec_top", nested: { key: 'k"ey' }, err: new Error("whsec_top") });
    log.debug("hidden at info level");
    expect(lines).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line).not.toContain("whsec_top");
    expect(line).not.toContain('k\\"ey');
    expect(JSON.parse(line)).toMatchObject({ level: "info", name: "t", app: "x", msg: "leak [redacted]?" });
  });

  it("censors credential-named fields whatever their value, and keeps the line shape", () => {
    const lines: string[] = [];
    const log = createLogger({ name: "t", level: "debug", write: (l) => lines.push(l) });
    log.debug("request", {
      authorization: "Bearer not-a-configured-secret",
      headers: { cookie: "session=abc", "x-api-key": "k-123" },
      req: { body: { password: "hunter2", apiKey: "sk-x" } },
      safe: "kept",
    });
    const line = lines[0] ?? "";
    for (const value of ["not-a-configured-secret", "session=abc", "k-123", "hunter2", "sk-x"]) {
      expect(line).not.toContain(value);
    }
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ level: "debug", name: "t", msg: "request", safe: "kept" });
    expect(parsed.headers.cookie).toBe("[redacted]");
    expect(new Date(parsed.time).toISOString()).toBe(parsed.time);
  });

  it("logs a database error without its statement's parameters or the fields that echo them", () => {
    const lines: string[] = [];
    const log = createLogger({ name: "t", write: (l) => lines.push(l) });
    const body = JSON.stringify({ type: "user.signed_up", data: { email: "ada@example.com" } });
    class DrizzleQueryError extends Error {}
    // As drizzle wraps a postgres.js error: its message ends in every parameter of the statement.
    const driver = Object.assign(new Error("terminating connection due to administrator command"), {
      name: "PostgresError",
      code: "57P01",
      detail: "Key (email)=(ada@example.com) already exists.",
      parameters: [body],
      query: "insert into events select * from jsonb_to_recordset($1)",
    });
    const err = new DrizzleQueryError(`Failed query: \n    insert into events\n    select $1\nparams: ${body}`, {
      cause: driver,
    });
    log.error("batch not recorded", { err });
    log.error("long", { err: new Error("x".repeat(5_000)) });
    log.error("several", { err: new AggregateError([Object.assign(new Error("refused"), { code: "ECONNREFUSED" })]) });
    const [line = "", long = "", several = ""] = lines;
    expect(line).not.toContain("ada@example.com");
    expect(line).not.toContain("params");
    expect(JSON.parse(line).err).toEqual({
      type: "DrizzleQueryError",
      message: "Failed query: insert into events select $1",
      cause: { type: "PostgresError", message: "terminating connection due to administrator command", code: "57P01" },
    });
    expect(long.length).toBeLessThan(600);
    expect(JSON.parse(several).err.errors).toEqual([{ type: "Error", message: "refused", code: "ECONNREFUSED" }]);
  });

  it("writes nothing at silent, and children carry their bindings", () => {
    const lines: string[] = [];
    createLogger({ name: "t", level: "silent", write: (l) => lines.push(l) }).error("hidden");
    expect(lines).toEqual([]);
    createLogger({ name: "t", write: (l) => lines.push(l) })
      .child({ requestId: "req-1" })
      .child({ job: "j" })
      .warn("job line", { err: new Error("boom") });
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      requestId: "req-1",
      job: "j",
      level: "warn",
      err: { type: "Error", message: "boom" },
    });
  });
});
