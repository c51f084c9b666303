import { rowsOf, schema, sql } from "@switchyard/db";
import { ago, type Measure } from "./kpi-sql.ts";
import { BASELINE_MS, DAY_MS, type Measurement } from "./kpis.ts";

const { customers, events, triageResults } = schema;
const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/** The events that show a user came back after paying: a login, or the app saying onboarding is done. */
export const ONBOARDING_EVENTS = ["app.user.logged_in", "app.onboarding.completed"] as const;

interface Counts {
  total: number;
  hit: number;
  base_total: number;
  base_hit: number;
}

function withBaseline(row: Counts | undefined, empty: string): Measurement {
  const total = row?.total ?? 0;
  const baseTotal = row?.base_total ?? 0;
  return {
    value: total > 0 ? ((row?.hit ?? 0) / total) * 100 : null,
    sample: total,
    baseline: { value: baseTotal > 0 ? ((row?.base_hit ?? 0) / baseTotal) * 100 : null, sample: baseTotal },
    ...(total > 0 ? {} : { empty }),
  };
}

/**
 * Of the completed checkouts whose onboarding window ended in the last 24 h, the share whose user
 * sent no login or `onboarding.completed` within the window after paying; the baseline is the same
 * over the 7 days before. A checkout is only judged once its window is over, so a user who has not
 * logged in yet is never counted as lost early. The user is the checkout's `client_reference_id`,
 * or the app user id of the customer its Stripe customer belongs to; the checkout's time is
 * Stripe's `created`, since the user is often back in the app before the webhook arrives.
 */
export const onboardingDropoffRate: Measure = async (db, { now, settings }) => {
  const within = settings.onboardingWithinMs;
  const currentTo = ago(now, within);
  const currentFrom = ago(currentTo, DAY_MS);
  const baselineFrom = ago(currentFrom, BASELINE_MS);
  const result = await db.execute(sql`
    with checkouts as (
      select e.received_at,
        case when jsonb_typeof(e.payload -> 'created') = 'number'
          then to_timestamp((e.payload ->> 'created')::float8) else e.received_at end as paid_at,
        coalesce(e.payload -> 'data' -> 'object' ->> 'client_reference_id', c.external_id) as user_id
      from ${events} e
      left join ${customers} c on c.stripe_customer_id = e.payload -> 'data' -> 'object' ->> 'customer'
      where e.type = 'stripe.checkout.session.completed' and e.status <> 'rejected'
        and e.received_at > ${ts(baselineFrom)} and e.received_at <= ${ts(currentTo)}
    ), judged as (
      select k.received_at > ${ts(currentFrom)} as is_current, not exists (
        select 1 from ${events} l
        where l.type in (${sql.join(
          ONBOARDING_EVENTS.map((t) => sql`${t}`),
          sql`, `,
        )})
          and l.payload -> 'data' ->> 'userId' = k.user_id
          and l.received_at >= k.paid_at and l.received_at <= k.paid_at + ${within}::float8 * interval '1 millisecond'
      ) as dropped
      from checkouts k
    )
    select count(*) filter (where is_current)::int as total, count(*) filter (where is_current and dropped)::int as hit,
      count(*) filter (where not is_current)::int as base_total,
      count(*) filter (where not is_current and dropped)::int as base_hit
    from judged`);
  return withBaseline(
    rowsOf<Counts>(result)[0],
    "no completed checkout whose onboarding window (KPI_ONBOARDING_WITHIN_MS) ended in the last 24 h",
  );
};

/**
 * Of the support tickets of the last 24 h (Zendesk's and the app's requests), the share tied to
 * onboarding: triaged with the `onboarding` intent, or sent by the app with category `onboarding`.
 * A ticket not triaged yet counts as not tied. The baseline is the same share over the 7 days before.
 */
export const onboardingTicketRate: Measure = async (db, { now }) => {
  const dayFrom = ago(now, DAY_MS);
  const weekFrom = ago(dayFrom, BASELINE_MS);
  const result = await db.execute(sql`
    with tickets as (
      select e.received_at > ${ts(dayFrom)} as is_current,
        coalesce(lower(e.payload -> 'data' ->> 'category') = 'onboarding', false) or exists (
          select 1 from ${triageResults} t where t.event_id = e.id and t.intent = 'onboarding') as onboarding
      from ${events} e
      where e.type in ('zendesk.ticket.created', 'app.support.requested') and e.status <> 'rejected'
        and e.received_at > ${ts(weekFrom)} and e.received_at <= ${ts(now)}
    )
    select count(*) filter (where is_current)::int as total, count(*) filter (where is_current and onboarding)::int as hit,
      count(*) filter (where not is_current)::int as base_total,
      count(*) filter (where not is_current and onboarding)::int as base_hit
    from tickets`);
  return withBaseline(rowsOf<Counts>(result)[0], "no support ticket in the last 24 h");
};
