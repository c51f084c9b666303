// End to end: signed signup in -> CRM contact written, at a rate one worker keeps up with on the
// 2-core machine and at one above what it drains there (so a backlog builds).
import { percentile, signup, sleep } from "../load.ts";
import { stop } from "../processes.ts";
import type { EndToEnd } from "../report.ts";
import { steadyLoad } from "../steady.ts";
import type { Context } from "./context.ts";
import { drained, startWorker } from "./signups.ts";

export async function endToEnd(ctx: Context): Promise<{ sustained: EndToEnd; backlogged: EndToEnd }> {
  const { run, settings: s } = ctx;
  const worker = startWorker(ctx);
  // crm-sync says nothing at LOG_LEVEL=warn once it is ready; this is its start-up, with room.
  await sleep(1_500);
  const signups = (rate: number, seconds: number) =>
    steadyLoad(`${ctx.ingestUrl}/v1/events`, signup(run.appKey), { rate, seconds, connections: 32 });

  async function at(rate: number): Promise<EndToEnd> {
    const from = new Date();
    const sent = await signups(rate, s.endToEndSeconds);
    await drained(run.sql);
    const lat = await run.sql`
      select extract(epoch from (t.at - e.received_at)) * 1000 as ms
      from customer_timeline t join events e on e.id = t.event_id
      where t.kind = 'crm_sync' and e.received_at >= ${from} order by 1`;
    const ms = lat.map((r) => Number(r.ms));
    return {
      rate,
      seconds: s.endToEndSeconds,
      sent: sent.sent,
      accepted: sent.ok,
      p50: Math.round(percentile(ms, 50)),
      p95: Math.round(percentile(ms, 95)),
      p99: Math.round(percentile(ms, 99)),
    };
  }

  // The worker is judged warm, like ingest: its first seconds run unoptimized code.
  await signups(s.sustainedRate, s.endToEndWarmupSeconds);
  await drained(run.sql);
  const sustained = await at(s.sustainedRate);
  const backlogged = await at(s.backlogRate);
  await stop(worker.child);
  return { sustained, backlogged };
}
