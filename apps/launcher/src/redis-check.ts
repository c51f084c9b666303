import { pingRedis, type RedisTarget } from "@switchyard/queue";

/** BullMQ cannot run without Redis: say so in one line that tells how to get one. */
export async function requireRedis(url: string, target?: RedisTarget): Promise<string | undefined> {
  try {
    await pingRedis(target ?? url, 2_000);
    return undefined;
  } catch {
    const shown = new URL(url);
    shown.password = shown.password ? "***" : "";
    return `switchyard: Redis is not reachable at ${shown.toString()} — start one with \`docker compose up -d redis\` (or \`redis-server --daemonize yes\`), or set REDIS_URL.`;
  }
}
