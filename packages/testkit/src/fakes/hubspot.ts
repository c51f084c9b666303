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

/** HubSpot's default lifecycle stages (internal names), earliest first. */
export const HUBSPOT_LIFECYCLE_ORDER = [
  "subscriber",
  "lead",
  "marketingqualifiedlead",
  "salesqualifiedlead",
  "opportunity",
  "customer",
  "evangelist",
  "other",
] as const;

/**
 * The parts of HubSpot's CRM API Switchyard uses: batch upsert of contacts by email. Stateful,
 * checks the bearer token, and takes faults (429 with either policy, 5xx, 401, latency, hangs).
 *
 * `lifecyclestage` moves only forward, as HubSpot's does: a write of an earlier stage than the
 * contact's is answered as a success and changes nothing, and an empty string clears the value
 * so that the next write can set any stage (HubSpot's developer forum, "Update Lifecycle Stage
 * Using API", integrate.hubspot.com/t/update-lifecycle-stage-using-api/1333: "the lifecycle stage
 * cannot move backwards ... first set the value to "" (empty string), then (in a separate
 * request) set the earlier lifecycle stage value"; the batch update reference: "Properties values
 * can be cleared by passing an empty string"). A stage outside the default list is refused as
 * HubSpot refuses an option the property does not have. Every answer carries the record's stored
 * properties, so a caller can see a move that was ignored.
 */
export class FakeHubspot extends FakeServer {
  readonly contacts = new Map<string, FakeContact>();
  // HubSpot never hands an id out twice, even after the contact is deleted.
  private nextId = 1000;
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

  /** The contact deleted (or merged away) on HubSpot's side: the next upsert by its email creates a new one. */
  deleteContact(email: string): void {
    this.contacts.delete(email.toLowerCase());
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
      const contact: FakeContact = existing ?? { id: String(this.nextId++), properties: {}, writes: 0 };
      const stage = input.properties?.lifecyclestage;
      if (stage !== undefined && stage !== "" && !stageIndex(stage)) {
        errors.push({
          status: "error",
          category: "VALIDATION_ERROR",
          message: `Property values were not valid: ${stage} is not a valid option for lifecyclestage`,
          context: { ids: [input.id] },
        });
        continue;
      }
      const current = contact.properties.lifecyclestage;
      contact.properties = { ...contact.properties, ...input.properties, email };
      if (stage && current && (stageIndex(stage) ?? 0) < (stageIndex(current) ?? 0))
        contact.properties.lifecyclestage = current;
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

/** 1-based, so "not a stage" is falsy. */
const stageIndex = (stage: string): number | undefined => {
  const i = (HUBSPOT_LIFECYCLE_ORDER as readonly string[]).indexOf(stage);
  return i < 0 ? undefined : i + 1;
};
