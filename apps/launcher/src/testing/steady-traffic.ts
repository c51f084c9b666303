import { randomBytes } from "node:crypto";
import { checkoutCompleted, signStripe } from "@switchyard/testkit";
import type postgres from "postgres";

export interface Answer {
  status: number;
  ms: number;
  /** When it was asked, ms after the traffic started. */
  at: number;
  code?: string;
  retryAfter: string | null;
}

export interface Traffic {
  answers: Answer[];
  /** Stripe event id → Switchyard event id, for every event answered 202 or 200. */
  accepted: Map<string, string>;
  /** What the bodies hold that no log line may: each customer's email and a marker of its own. */
  secrets: string[];
  /** Events sent (each until accepted). */
  events: number;
  /** Readiness probes every 500 ms meanwhile: when each was sent, how long it took (status 0: no answer). */
  ready: { at: number; ms: number; status: number }[];
  /** ms since the traffic started. */
  now(): number;
  /** Resolves once the sending stopped and every event was answered for good. */
  done: Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Signed Stripe checkouts at a steady rate for `forMs` (after `burst` of them at once), each
 * delivered as a provider would: a 503 is tried again after its Retry-After, until accepted (at
 * most 20 tries).
 */
export function steadyStripeTraffic(opts: {
  base: string;
  secret: string;
  ratePerS: number;
  forMs: number;
  label: string;
  burst?: number;
}): Traffic {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const traffic: Traffic = {
    answers: [],
    accepted: new Map(),
    secrets: [],
    events: 0,
    ready: [],
    now,
    done: Promise.resolve(),
  };

  async function deliver(i: number) {
    const marker = `body-marker-${i}-${randomBytes(6).toString("hex")}`;
    const email = `${opts.label}-${i}@example.com`;
    traffic.secrets.push(marker, email);
    const event = checkoutCompleted({ customer: `cus_${opts.label}_${i}`, userId: `u-${i}`, email, plan: "pro" });
    (event.data.object.metadata as Record<string, string>).note = marker;
    for (let attempt = 0; attempt < 20; attempt++) {
      const { body, headers } = signStripe({ payload: event, secret: opts.secret });
      const at = now();
      let answer: Answer;
      try {
        const res = await fetch(`${opts.base}/webhooks/stripe`, {
          method: "POST",
          body,
          headers,
          signal: AbortSignal.timeout(15_000),
        });
        const json = (await res.json()) as { eventId?: string; error?: { code: string } };
        answer = { status: res.status, ms: now() - at, at, retryAfter: res.headers.get("retry-after") };
        if (json.error) answer.code = json.error.code;
        if (json.eventId && (res.status === 202 || res.status === 200)) traffic.accepted.set(event.id, json.eventId);
      } catch {
        answer = { status: 0, ms: now() - at, at, retryAfter: null };
      }
      traffic.answers.push(answer);
      if (answer.status !== 503) return;
      await sleep(Number(answer.retryAfter ?? "5") * 1_000);
    }
  }

  const probing = (async () => {
    while (now() < opts.forMs) {
      const at = now();
      const res = await fetch(`${opts.base}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      traffic.ready.push({ at, ms: now() - at, status: res?.status ?? 0 });
      await res?.body?.cancel();
      await sleep(500);
    }
  })();
  traffic.done = (async () => {
    const deliveries: Promise<void>[] = [];
    for (let i = 0; i < (opts.burst ?? 0); i++) {
      deliveries.push(deliver(i));
      traffic.events++;
    }
    for (let i = opts.burst ?? 0; now() < opts.forMs; i++) {
      deliveries.push(deliver(i));
      traffic.events++;
      await sleep(1_000 / opts.ratePerS);
    }
    await Promise.all([...deliveries, probing]);
  })();
  return traffic;
}

/** Waits until no event is left unprocessed (or `withinMs` passed); the number left. */
export async function untilAllProcessed(sql: postgres.Sql, withinMs = 30_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const [row] = await sql`select count(*)::int as n from events where status <> 'processed'`;
    const open = row?.n ?? -1;
    if (open === 0 || Date.now() > deadline) return open;
    await sleep(250);
  }
}
