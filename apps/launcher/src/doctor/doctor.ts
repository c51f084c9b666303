import { type Config, type Env, parseConfig, secretValues } from "@switchyard/config";
import { type Check, fail, render } from "./check.ts";
import { configChecks } from "./config-checks.ts";
import { postgresChecks, redisChecks } from "./infra-checks.ts";
import { providerChecks } from "./provider-checks.ts";

export interface DoctorReport {
  checks: Check[];
  /** The checklist as printed, every configured secret value redacted. */
  text: string;
  /** 1 when any check failed: CI and deploy pipelines gate on it. */
  code: number;
}

/** Launch readiness for this environment: the configuration, Redis, Postgres and every provider's key. */
export async function runDoctor(env: Env): Promise<DoctorReport> {
  let config: Config;
  try {
    config = parseConfig(env);
  } catch (err) {
    // The message names the variables, never their values.
    const checks = [
      fail((err as Error).message.replace(/\n\s*/g, " "), "correct the variables named (.env.example documents each)"),
    ];
    return { checks, text: render(checks), code: 1 };
  }
  const [redis, postgres, providers] = await Promise.all([
    redisChecks(config),
    postgresChecks(config),
    providerChecks(config),
  ]);
  const checks = [...configChecks(config), ...redis, ...postgres, ...providers];
  let text = `Switchyard doctor (NODE_ENV=${config.NODE_ENV})\n${render(checks)}`;
  for (const value of secretValues(config)) text = text.split(value).join("[redacted]");
  return { checks, text, code: checks.some((c) => c.status === "fail") ? 1 : 0 };
}
