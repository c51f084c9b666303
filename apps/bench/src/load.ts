// The requests the bench sends, the closed-loop generator (autocannon) and the statistics the
// scenarios share. The open-loop generator is steady.ts.
import { createHmac, randomUUID } from "node:crypto";
import autocannon from "autocannon";

export interface Made {
  body: string;
  headers: Record<string, string>;
}

/** One autocannon run: its average throughput and latency percentiles. */
export interface SaturatedRun {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

/** A Stripe `invoice.paid` event with a unique id, signed the way Stripe signs it. */
export const stripeSigned = (secret: string) => (): Made => {
  const id = `evt_${randomUUID().replaceAll("-", "")}`;
  const body = JSON.stringify({
    id,
    object: "event",
    type: "invoice.paid",
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `in_${id}`, customer: "cus_bench", amount_paid: 4900, currency: "usd" } },
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return { body, headers: { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` } };
};

/** An app's `user.signed_up` event, which crm-sync turns into a CRM contact. */
export const signup = (appKey: string) => (): Made => {
  const userId = randomUUID();
  return {
    body: JSON.stringify({ type: "user.signed_up", data: { userId, email: `${userId}@bench.example.com` } }),
    headers: { "content-type": "application/json", authorization: `Bearer ${appKey}`, "idempotency-key": userId },
  };
};

export async function saturate(
  url: string,
  make: () => Made,
  opts: { connections: number; duration?: number; amount?: number },
): Promise<SaturatedRun> {
  const result = await autocannon({
    url,
    connections: opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? 10 }),
    requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...make() }) }],
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** The run whose `by` is the median of the rounds (an actual run, so its figures belong together). */
export function median<T>(runs: T[], by: (r: T) => number): T {
  const sorted = [...runs].sort((a, b) => by(a) - by(b));
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error("no runs");
  return middle;
}

export const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
