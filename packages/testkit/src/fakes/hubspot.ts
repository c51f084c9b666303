import { randomBytes } from "node:crypto";
import { FakeServer, type Received } from "./server.ts";

export interface FakeContact {
  id: string;
  properties: Record<string, string>;
  writes: number;
}

interface UpsertInput {
  idProperty: string;
  id: string;
  properties: Record<string, string>;
}

/**
 * The parts of HubSpot's CRM API Switchyard uses: batch upsert of contacts by email. Stateful,
 * checks the bearer token, and takes faults (429 with either policy, 5xx, 401, latency, hangs).
 */
export class FakeHubspot extends FakeServer {
  readonly contacts = new Map<string, FakeContact>();
  token: string;

  constructor(opts: { token?: string } = {}) {
    super((req) => this.routeFor(req));
    this.token = opts.token ?? "pat-fake-hubspot-token";
  }

  static async start(opts: { token?: string } = {}): Promise<FakeHubspot> {
    return new FakeHubspot(opts).start();
  }

  /** The 429 HubSpot sends when a burst or a daily quota is used up. */
  rateLimit(policy: "TEN_SECONDLY_ROLLING" | "DAILY", opts: { retryAfterSeconds?: number; times?: number } = {}): void {
    this.fail({
      status: 429,
      body: {
        status: "error",
        message: "You have reached your rate limit.",
        errorType: "RATE_LIMIT",
        policyName: policy,
      },
      ...(opts.retryAfterSeconds !== undefined ? { headers: { "retry-after": String(opts.retryAfterSeconds) } } : {}),
      ...(opts.times !== undefined ? { times: opts.times } : {}),
    });
  }

  upserts(): Received[] {
    return this.received.filter((r) => r.path.startsWith("/crm/v3/objects/contacts/batch/upsert"));
  }

  private routeFor(req: Received) {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return () => ({
        status: 401,
        body: { status: "error", category: "INVALID_AUTHENTICATION", message: "Authentication credentials not found." },
      });
    }
    if (req.method === "POST" && req.path === "/crm/v3/objects/contacts/batch/upsert") return () => this.upsert(req);
    return undefined;
  }

  private upsert(req: Received) {
    const inputs = ((req.body as { inputs?: UpsertInput[] })?.inputs ?? []) as UpsertInput[];
    const results: unknown[] = [];
    const errors: unknown[] = [];
    for (const input of inputs) {
      const email = input.id?.toLowerCase();
      if (input.idProperty !== "email" || !email || !email.includes("@")) {
        errors.push({
          status: "error",
          category: "VALIDATION_ERROR",
          message: `invalid email ${input.id}`,
          context: { ids: [input.id] },
        });
        continue;
      }
      const existing = this.contacts.get(email);
      const contact: FakeContact = existing ?? { id: String(1000 + this.contacts.size), properties: {}, writes: 0 };
      contact.properties = { ...contact.properties, ...input.properties, email };
      contact.writes += 1;
      this.contacts.set(email, contact);
      results.push({
        id: contact.id,
        properties: contact.properties,
        new: !existing,
        createdAt: new Date().toISOString(),
      });
    }
    const body = {
      status: "COMPLETE",
      results,
      ...(errors.length ? { errors, numErrors: errors.length } : {}),
      requestId: randomBytes(8).toString("hex"),
    };
    return { status: errors.length ? 207 : 200, body };
  }
}
