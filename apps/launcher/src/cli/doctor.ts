import type { Command } from "./command.ts";

export const doctor: Command = {
  name: "doctor",
  summary: "check that this machine and configuration are ready to launch Switchyard",
  details: `Prints a checklist, each line ok / warn / fail with its fix: the configured secrets' shapes; each
enabled source with the URL to paste into the provider's dashboard and the event types to subscribe to;
Stripe's key mode against NODE_ENV; each provider reached with its key by one read-only call; Redis
(maxmemory-policy noeviction, AOF, maxmemory); Postgres (the role sees pg_stat_activity, migrations
applied); INGEST_PUBLIC_URL when HubSpot is configured; admin credentials set and not defaults.
Reads the environment as ./sy start does. Exits 1 when any check fails, so a deploy can gate on it.
pnpm run doctor runs it too (a bare \`pnpm doctor\` is pnpm's own command).`,
  async run() {
    const { runDoctor } = await import("../doctor/doctor.ts");
    const report = await runDoctor(process.env);
    process.stdout.write(report.text);
    return report.code;
  },
};
