import { FakeServer, type JsonReply, type Received } from "./server.ts";
import { StripeMoney } from "./stripe-money.ts";

type StripeObject = Record<string, unknown> & { id: string };

/** Stripe's form encoding (`metadata[key]=value`) back into a plain object, one level deep. */
function parseForm(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof body !== "string") return (body as Record<string, unknown>) ?? {};
  for (const [key, value] of new URLSearchParams(body)) {
    const nested = /^(\w+)\[(\w+)\]$/.exec(key);
    if (nested?.[1] && nested[2]) {
      const parent = (out[nested[1]] ?? {}) as Record<string, unknown>;
      parent[nested[2]] = value;
      out[nested[1]] = parent;
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * The parts of Stripe's API Switchyard uses: read subscriptions, invoices, customers, PaymentIntents and charges, update a
 * customer (billing-sync), and list events (the reconcile). Writes honour Idempotency-Key as Stripe does: a repeated key replays the
 * first answer and changes nothing, so `appliedWrites` counts real writes only.
 */
export class FakeStripe extends FakeServer {
  readonly subscriptions = new Map<string, StripeObject>();
  readonly invoices = new Map<string, StripeObject>();
  readonly customers = new Map<string, StripeObject>();
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly charges = new Map<string, StripeObject>();
  readonly appliedWrites: { idempotencyKey: string | undefined; path: string; body: Record<string, unknown> }[] = [];
  /** What `GET /v1/events` lists, in the order they were added (created). */
  readonly events: StripeObject[] = [];
  /** Events whose webhook never succeeded: what `delivery_success=false` lists. */
  readonly undelivered = new Set<string>();
  /** Charges, refunds, subscription updates and receipts: the action gateway's writes (stripe-money.ts). */
  readonly money = new StripeMoney(this.subscriptions);
  secretKey: string;

  constructor(opts: { secretKey?: string } = {}) {
    super((req) => this.routeFor(req));
    this.secretKey = opts.secretKey ?? "sk_test_fake_stripe_key";
  }

  static async start(opts: { secretKey?: string } = {}): Promise<FakeStripe> {
    return new FakeStripe(opts).start();
  }

  /** The subscription as Stripe would report it now. */
  setSubscription(sub: {
    id: string;
    customer: string;
    status: string;
    plan?: string;
    currentPeriodEnd?: number;
  }): void {
    this.subscriptions.set(sub.id, {
      id: sub.id,
      object: "subscription",
      customer: sub.customer,
      status: sub.status,
      items: {
        object: "list",
        data: [
          {
            id: `si_${sub.id.replace(/^sub_/, "")}`,
            price: { id: `price_${sub.plan ?? "pro"}`, lookup_key: sub.plan ?? "pro", nickname: null },
            current_period_end: sub.currentPeriodEnd ?? null,
          },
        ],
      },
      metadata: {},
    });
  }

  setInvoice(inv: StripeObject): void {
    this.invoices.set(inv.id, { object: "invoice", ...inv });
  }

  /**
   * An event as Stripe keeps it (listed by `GET /v1/events` for 30 days). `delivered: false` is one
   * whose webhook is still pending or failed: `pending_webhooks` stays above 0, as Stripe reports it.
   */
  addEvent(event: StripeObject, opts: { delivered?: boolean } = {}): void {
    const delivered = opts.delivered ?? true;
    this.events.push({ ...event, pending_webhooks: delivered ? 0 : 1 });
    if (!delivered) this.undelivered.add(event.id);
  }

  /** The next `times` list calls are refused as Stripe's rate limiter does (429, `rate_limit`). */
  rateLimit(times: number, retryAfterSeconds?: number): void {
    this.fail({
      match: /^GET \/v1\/events/,
      status: 429,
      times,
      ...(retryAfterSeconds === undefined ? {} : { headers: { "retry-after": String(retryAfterSeconds) } }),
      body: {
        error: {
          type: "invalid_request_error",
          code: "rate_limit",
          message: "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
        },
      },
    });
  }

  /** The requests `GET /v1/events` received, with their query. */
  listCalls(): URLSearchParams[] {
    return this.received
      .filter((r) => r.method === "GET" && r.path.startsWith("/v1/events"))
      .map((r) => new URLSearchParams(r.path.split("?")[1] ?? ""));
  }

  /** The PaymentIntent as Stripe would report it now (testkit's paymentIntentObject builds one). */
  setPaymentIntent(pi: StripeObject): void {
    this.paymentIntents.set(pi.id, { object: "payment_intent", ...pi });
  }

  /** The Charge as Stripe would report it now (testkit's chargeObject builds one). */
  setCharge(charge: StripeObject): void {
    this.charges.set(charge.id, { object: "charge", ...charge });
  }

  writesFor(idempotencyKey: string) {
    return this.received.filter((r) => r.method === "POST" && r.headers["idempotency-key"] === idempotencyKey);
  }

  /**
   * Stripe's list endpoint: newest first, up to 30 days back, `limit` 1–100 (default 10),
   * `starting_after` an event id (the page continues after it), `created[gt|gte|lt|lte]`,
   * `delivery_success`, `type`; `has_more` says whether a further page exists.
   */
  private listEvents(q: URLSearchParams): JsonReply {
    const invalid = (param: string, message: string) => ({
      status: 400,
      body: { error: { type: "invalid_request_error", code: "parameter_invalid_integer", param, message } },
    });
    const limit = q.has("limit") ? Number(q.get("limit")) : 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return invalid("limit", "This value must be greater than or equal to 1 and less than or equal to 100.");
    const bound = (op: string) => (q.has(`created[${op}]`) ? Number(q.get(`created[${op}]`)) : undefined);
    const [gt, gte, lt, lte] = ["gt", "gte", "lt", "lte"].map(bound);
    const oldest = Math.floor(Date.now() / 1000) - 30 * 86_400;
    const newestFirst = this.events
      .map((e, i) => ({ e, i }))
      .sort((a, b) => Number(b.e.created) - Number(a.e.created) || b.i - a.i)
      .map(({ e }) => e);
    let from = 0;
    const after = q.get("starting_after");
    if (after) {
      from = newestFirst.findIndex((e) => e.id === after) + 1;
      if (from === 0)
        return {
          status: 404,
          body: {
            error: {
              type: "invalid_request_error",
              code: "resource_missing",
              param: "starting_after",
              message: `No such event: '${after}'`,
            },
          },
        };
    }
    const success = q.get("delivery_success");
    const type = q.get("type");
    const matches = newestFirst.slice(from).filter((e) => {
      const created = Number(e.created);
      if (created < oldest) return false;
      if (gt !== undefined && !(created > gt)) return false;
      if (gte !== undefined && !(created >= gte)) return false;
      if (lt !== undefined && !(created < lt)) return false;
      if (lte !== undefined && !(created <= lte)) return false;
      if (success === "false" && !this.undelivered.has(e.id)) return false;
      if (success === "true" && this.undelivered.has(e.id)) return false;
      if (type && !new RegExp(`^${type.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`).test(String(e.type)))
        return false;
      return true;
    });
    return {
      status: 200,
      body: { object: "list", url: "/v1/events", has_more: matches.length > limit, data: matches.slice(0, limit) },
    };
  }

  private routeFor(req: Received) {
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return () => ({
        status: 401,
        body: { error: { type: "invalid_request_error", message: "Invalid API Key provided." } },
      });
    }
    const money = this.money.route(req);
    if (money) return money;
    const path = req.path.split("?")[0] ?? "";
    if (req.method === "GET" && path === "/v1/events") {
      return () => this.listEvents(new URLSearchParams(req.path.split("?")[1] ?? ""));
    }
    const read = /^\/v1\/(subscriptions|invoices|customers|payment_intents|charges)\/([\w-]+)$/.exec(path);
    if (req.method === "GET" && read?.[1] && read[2]) {
      const [, kind, id] = read;
      const stores: Record<string, Map<string, StripeObject>> = {
        subscriptions: this.subscriptions,
        invoices: this.invoices,
        customers: this.customers,
        payment_intents: this.paymentIntents,
        charges: this.charges,
      };
      const store = stores[kind] ?? this.customers;
      return () => {
        const found = store.get(id);
        return found
          ? { status: 200, body: found }
          : {
              status: 404,
              body: {
                error: {
                  type: "invalid_request_error",
                  code: "resource_missing",
                  message: `No such ${kind.slice(0, -1)}: '${id}'`,
                },
              },
            };
      };
    }
    const update = /^\/v1\/customers\/([\w-]+)$/.exec(path);
    if (req.method === "POST" && update?.[1]) {
      const id = update[1];
      return () =>
        this.idempotent(req, () => {
          const body = parseForm(req.body);
          const existing = this.customers.get(id) ?? { id, object: "customer", metadata: {} };
          const customer = {
            ...existing,
            ...body,
            metadata: { ...(existing.metadata as object), ...(body.metadata as object) },
          };
          this.customers.set(id, customer);
          this.appliedWrites.push({ idempotencyKey: req.headers["idempotency-key"], path, body });
          return { status: 200, body: customer };
        });
    }
    return undefined;
  }
}
