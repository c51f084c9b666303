import { FakeServer, type Received } from "./server.ts";

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
 * The parts of Stripe's API billing-sync uses: read subscriptions, invoices and customers, and
 * update a customer. Writes honour Idempotency-Key as Stripe does: a repeated key replays the
 * first answer and changes nothing, so `appliedWrites` counts real writes only.
 */
export class FakeStripe extends FakeServer {
  readonly subscriptions = new Map<string, StripeObject>();
  readonly invoices = new Map<string, StripeObject>();
  readonly customers = new Map<string, StripeObject>();
  readonly appliedWrites: { idempotencyKey: string | undefined; path: string; body: Record<string, unknown> }[] = [];
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

  writesFor(idempotencyKey: string) {
    return this.received.filter((r) => r.method === "POST" && r.headers["idempotency-key"] === idempotencyKey);
  }

  private routeFor(req: Received) {
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return () => ({
        status: 401,
        body: { error: { type: "invalid_request_error", message: "Invalid API Key provided." } },
      });
    }
    const path = req.path.split("?")[0] ?? "";
    const read = /^\/v1\/(subscriptions|invoices|customers)\/([\w-]+)$/.exec(path);
    if (req.method === "GET" && read?.[1] && read[2]) {
      const [, kind, id] = read;
      const store =
        kind === "subscriptions" ? this.subscriptions : kind === "invoices" ? this.invoices : this.customers;
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
