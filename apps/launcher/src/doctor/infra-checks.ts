import type { Config } from "@switchyard/config";
import { createDb, pendingMigrations, rowsOf, sql } from "@switchyard/db";
import { createRedis, redisTargetOf, withTimeout } from "@switchyard/queue";
import { type Check, fail, ok, warn } from "./check.ts";

const TIMEOUT_MS = 3_000;

/** `INFO` fields (`name:value` lines): readable where CONFIG is disabled, as on managed Redis. */
function infoFields(text: string): Map<string, string> {
  return new Map(
    text
      .split(/\r?\n/)
      .map((l) => l.split(":"))
      .filter((p): p is [string, string] => p.length === 2 && p[0] !== undefined && p[1] !== undefined)
      .map(([k, v]) => [k, v.trim()]),
  );
}

/** maxmemory-policy noeviction, AOF on, maxmemory set: BullMQ's jobs are data, not a cache. */
export async function redisChecks(config: Config): Promise<Check[]> {
  const redis = createRedis(redisTargetOf(config), "producer");
  redis.on("error", () => {});
  try {
    const info = infoFields(
      `${await withTimeout(redis.info("memory"), TIMEOUT_MS, "Redis INFO")}\n${await withTimeout(redis.info("persistence"), TIMEOUT_MS, "Redis INFO")}`,
    );
    const checks: Check[] = [];
    const policy = info.get("maxmemory_policy") ?? "unknown";
    checks.push(
      policy === "noeviction"
        ? ok("Redis maxmemory-policy is noeviction")
        : fail(
            `Redis maxmemory-policy is ${policy}: under memory pressure Redis would delete queued jobs`,
            "set maxmemory-policy noeviction (redis.conf, as infra/redis.conf does; on a managed Redis, its parameter group)",
          ),
    );
    checks.push(
      info.get("aof_enabled") === "1"
        ? ok("Redis append-only file (AOF) is on")
        : warn(
            "Redis AOF is off: a Redis restart loses the jobs written since its last snapshot (the relay adds them again only after RELAY_RECHECK_AFTER_MS)",
            "set appendonly yes and appendfsync everysec (infra/redis.conf)",
          ),
    );
    checks.push(
      Number(info.get("maxmemory") ?? 0) > 0
        ? ok(`Redis maxmemory is set (${info.get("maxmemory_human") ?? info.get("maxmemory")})`)
        : warn(
            "Redis maxmemory is not set: Redis grows until the machine kills it",
            "set maxmemory below the machine's memory (infra/redis.conf: 1gb)",
          ),
    );
    return checks;
  } catch (err) {
    return [
      fail(
        `Redis unreachable at REDIS_URL: ${err instanceof Error ? err.message : String(err)}`,
        "start Redis (docker compose up -d redis) or correct REDIS_URL",
      ),
    ];
  } finally {
    redis.disconnect();
  }
}

/** The role sees every session (the relay's horizon), and the database has every migration. */
export async function postgresChecks(config: Config): Promise<Check[]> {
  if (!config.DATABASE_URL) {
    return config.NODE_ENV === "production"
      ? [
          fail(
            "DATABASE_URL is not set: the embedded PGlite serves one process only",
            "set DATABASE_URL to your Postgres (docker compose sets it for its own)",
          ),
        ]
      : [ok("DATABASE_URL unset: the embedded PGlite in DATA_DIR, for ./sy start alone")];
  }
  let handle: Awaited<ReturnType<typeof createDb>> | undefined;
  try {
    handle = await createDb({ databaseUrl: config.DATABASE_URL, maxConnections: 1 });
    const db = handle.db;
    await withTimeout(handle.ping(), TIMEOUT_MS, "Postgres ping");
    const checks: Check[] = [ok("Postgres answers at DATABASE_URL")];
    const [role] = rowsOf<{ role: string; sees: boolean; hidden: number; tracking: string }>(
      await db.execute(sql`select current_user as role,
        (select rolsuper from pg_roles where rolname = current_user)
          or pg_has_role(current_user, 'pg_read_all_stats', 'member') as sees,
        (select count(*)::int from pg_stat_activity where query = '<insufficient privilege>') as hidden,
        current_setting('track_activities') as tracking`),
    );
    if (role?.tracking !== "on")
      checks.push(
        fail("Postgres track_activities is off: the relay cannot see open transactions", "set track_activities = on"),
      );
    else if (role.hidden > 0)
      checks.push(
        fail(
          `role ${role.role} cannot see ${role.hidden} session(s) in pg_stat_activity: the relay will not move`,
          `run every Switchyard process as one role, or GRANT pg_read_all_stats TO ${role.role}`,
        ),
      );
    else
      checks.push(
        role.sees
          ? ok(`role ${role.role} can see every session in pg_stat_activity`)
          : warn(
              `role ${role.role} sees only its own role's sessions in pg_stat_activity`,
              `run every Switchyard process as ${role.role}, or GRANT pg_read_all_stats TO ${role.role}`,
            ),
      );
    const pending = await pendingMigrations(handle);
    checks.push(
      pending.length === 0
        ? ok("every migration is applied")
        : fail(
            `${pending.length} migration(s) not applied (${pending.join(", ")})`,
            "run ./sy migrate (compose: its migrate service)",
          ),
    );
    return checks;
  } catch (err) {
    return [
      fail(
        `Postgres unreachable at DATABASE_URL: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
        "start Postgres or correct DATABASE_URL",
      ),
    ];
  } finally {
    await handle?.close();
  }
}
