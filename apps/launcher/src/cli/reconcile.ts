import type { Command } from "./command.ts";

export const reconcile: Command = {
  name: "reconcile",
  summary: "compare Stripe's event list with what Switchyard recorded and backfill what never arrived",
  details: `Lists Stripe's events (the Events API, with STRIPE_SECRET_KEY) since the last reconciled point, or
since --since, and records each one Switchyard lacks exactly as its webhook would have been recorded
(source stripe, Stripe's event id), marked backfilled, then enqueued: a late webhook for it is a
duplicate, and nothing is processed twice. Progress is a cursor in Postgres: a run stopped half-way is
resumed by the next one (scheduled or by hand). Admin runs this every RECONCILE_INTERVAL_MS by itself.
Needs DATABASE_URL (the embedded database belongs to ./sy start, whose admin runs it on schedule).
Exit 0 when the run completed, 1 when it stopped (it resumes next time) or another run holds the cursor.

Examples:
  ./sy reconcile --since 24h          (pnpm reconcile --since 24h)
  ./sy reconcile --undelivered-first`,
  options: {
    since: {
      type: "string",
      value: "age|time",
      description: "start of the window: 30m, 24h, 7d (Stripe keeps 30 days) or an ISO time",
    },
    "undelivered-first": {
      type: "boolean",
      description: "list the events whose webhook failed (delivery_success=false) first, then all",
    },
    "page-size": { type: "string", value: "n", description: "events per Events API request, 1-100 (default 100)" },
  },
  async run(args) {
    const { runReconcile } = await import("./reconcile-run.ts");
    return runReconcile(args);
  },
};
