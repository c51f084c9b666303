// What the end-to-end and worker scenarios share: the crm-sync process and the signups it settles.
import type postgres from "postgres";
import { sleep } from "../load.ts";
import type { Started } from "../processes.ts";
import { repoPath } from "../settings.ts";
import type { Context } from "./context.ts";

export const startWorker = (ctx: Context): Started =>
  ctx.run.processes.start("crm-sync worker", repoPath("apps/crm-sync/src/main.ts"), {
    env: { ...ctx.run.env, LOG_LEVEL: "warn" },
    nodeFlags: ctx.settings.nodeFlags.worker,
    worker: true,
  });

/** Signups not yet processed, whichever step they are at. */
export const unsettledSignups = async (sql: postgres.Sql): Promise<number> =>
  (await sql`select count(*)::int as n from events where type = 'app.user.signed_up' and status <> 'processed'`)[0]?.n;

export async function drained(sql: postgres.Sql): Promise<void> {
  while ((await unsettledSignups(sql)) > 0) await sleep(200);
}
