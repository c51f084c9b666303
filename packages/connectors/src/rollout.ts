import { createHash } from "node:crypto";
import type { Config } from "@switchyard/config";
import { type Db, eq, schema } from "@switchyard/db";
import { APP_SOURCE, ROUTES, WORK_QUEUES } from "@switchyard/events";
import type { ContactInput, ContactResult, CrmAdapter } from "./crm.ts";
import type { BillingSource } from "./stripe-billing.ts";
import type { SupportAdapter } from "./support.ts";

export type RolloutMode = "live" | "shadow" | "off";

export type RolloutSettings = Pick<Config, "ROLLOUT_MODES" | "ROLLOUT_LIVE_CUSTOMERS" | "ROLLOUT_LIVE_PERCENT">;

export interface RolloutCustomer {
  id: string;
  email?: string | null;
  externalId?: string | null;
}

/** Where one job stands: its queue and source, and the stricter of their modes. */
export interface RolloutScope {
  queue: string;
  source: string;
  eventId: string;
  mode: RolloutMode;
}

export interface Rollout {
  /** Every name given a mode, with it; `*` when set. */
  readonly modes: Readonly<Record<string, RolloutMode>>;
  readonly liveCustomers: number;
  readonly livePercent: number;
  /** The stricter of the queue's and the source's mode (off, then shadow, then live). */
  scope(queue: string, source: string, eventId: string): RolloutScope;
  /** A job in shadow is live for a customer on the allow-list or inside the live percentage. */
  modeFor(scope: RolloutScope, customer: RolloutCustomer | undefined): RolloutMode;
}

const RANK: Record<RolloutMode, number> = { off: 0, shadow: 1, live: 2 };

/** Reads the rollout variables; a name that is neither a queue nor a source stops the process. */
export function parseRollout(settings: RolloutSettings, known: readonly string[]): Rollout {
  const modes: Record<string, RolloutMode> = {};
  for (const item of settings.ROLLOUT_MODES) {
    const [name = "", mode] = item.split("=");
    if (name !== "*" && !known.includes(name))
      throw new Error(`ROLLOUT_MODES names ${name}, which is neither a queue nor a source (${known.join(", ")})`);
    modes[name] = mode as RolloutMode;
  }
  const allowed = new Set(settings.ROLLOUT_LIVE_CUSTOMERS.map((c) => c.trim().toLowerCase()));
  const percent = settings.ROLLOUT_LIVE_PERCENT;
  const modeOf = (name: string): RolloutMode => modes[name] ?? modes["*"] ?? "live";
  return {
    modes,
    liveCustomers: allowed.size,
    livePercent: percent,
    scope(queue, source, eventId) {
      const [a, b] = [modeOf(queue), modeOf(source)];
      return { queue, source, eventId, mode: RANK[a] <= RANK[b] ? a : b };
    },
    modeFor(scope, customer) {
      if (scope.mode !== "shadow" || !customer) return scope.mode;
      const keys = [customer.id, customer.email, customer.externalId].filter(Boolean) as string[];
      if (keys.some((k) => allowed.has(k.toLowerCase()))) return "live";
      return bucket(customer.id) < percent ? "live" : "shadow";
    },
  };
}

/** Queues, and the sources whose events are routed to one: the names a mode may be given. */
export const ROLLOUT_NAMES: readonly string[] = [
  ...WORK_QUEUES,
  ...new Set([APP_SOURCE, ...Object.keys(ROUTES).map((type) => type.split(".")[0] ?? type)]),
];

export const rolloutFromConfig = (config: RolloutSettings): Rollout => parseRollout(config, ROLLOUT_NAMES);

/** 0 to 99.99, the same for a customer in every process and on every run. */
const bucket = (customerId: string) =>
  (createHash("sha256").update(customerId).digest().readUInt32BE(0) % 10_000) / 100;

export interface ShadowWrite {
  provider: string;
  operation: string;
  idempotencyKey: string;
  customerId: string | null;
  target: string | null;
  request: unknown;
}

/** A write recorded instead of made; a retry of the same step records nothing more. */
export async function recordShadowWrite(db: Db, scope: RolloutScope, write: ShadowWrite): Promise<void> {
  await db
    .insert(schema.shadowWrites)
    .values({
      queue: scope.queue,
      source: scope.source,
      eventId: scope.eventId,
      provider: write.provider,
      operation: write.operation,
      idempotencyKey: write.idempotencyKey,
      customerId: write.customerId,
      target: write.target,
      request: write.request ?? {},
    })
    .onConflictDoNothing();
}

/** The CRM as one job sees it: live for a live customer, a recorded "would have written" otherwise. */
export function rolloutCrm(db: Db, live: CrmAdapter, rollout: Rollout, scope: RolloutScope): CrmAdapter {
  if (scope.mode === "live") return live;
  return {
    // Not "local": crm-sync writes the embedded CRM's table directly under that name.
    name: live.name === "local" ? "local-rollout" : live.name,
    async upsertContact(input: ContactInput, opts): Promise<ContactResult> {
      const who = { id: input.customerId, email: input.email, externalId: input.externalId };
      const mode = rollout.modeFor(scope, who);
      if (mode === "live") return live.upsertContact(input, opts);
      if (mode === "off") return { contactId: `off-${input.customerId}`, created: false, changed: false };
      await recordShadowWrite(db, scope, {
        provider: live.name,
        operation: "upsert_contact",
        idempotencyKey: opts.idempotencyKey,
        customerId: input.customerId,
        target: input.email,
        request: input,
      });
      return { contactId: `shadow-${input.customerId}`, created: false, changed: false };
    },
  };
}

/** The support desk as one job for this customer sees it, under the same rule. */
export function rolloutDesk(
  db: Db,
  live: SupportAdapter,
  rollout: Rollout,
  scope: RolloutScope,
  customer: RolloutCustomer | undefined,
): SupportAdapter {
  const mode = rollout.modeFor(scope, customer);
  if (mode === "live") return live;
  const record = async (operation: string, target: string, idempotencyKey: string, request: unknown) => {
    if (mode === "off") return;
    await recordShadowWrite(db, scope, {
      provider: live.name,
      operation,
      idempotencyKey,
      customerId: customer?.id ?? null,
      target,
      request,
    });
  };
  return {
    name: live.name,
    async ensureTicket(input, opts) {
      await record("ensure_ticket", input.externalId, opts.idempotencyKey, { subject: input.subject });
      return { externalId: input.externalId, created: false };
    },
    async addInternalNote(ref, note, opts) {
      await record("add_internal_note", ref, `${ref}:${opts.idempotencyKey}`, note);
      return { noteId: `shadow-${opts.idempotencyKey}`, created: false };
    },
    async updateTicket(ref, change, opts) {
      await record("update_ticket", ref, `${ref}:${opts.idempotencyKey}`, change);
    },
  };
}

/** Stripe as one billing-sync job sees it: reads as they are, the customer tag recorded unless live. */
export function rolloutBilling(db: Db, live: BillingSource, rollout: Rollout, scope: RolloutScope): BillingSource {
  if (scope.mode === "live") return live;
  return {
    ...live,
    async linkCustomer(stripeCustomerId, switchyardCustomerId, call) {
      // The allow-list names emails and app user ids: the customer row says which are this one's.
      const [row] = await db
        .select({ id: schema.customers.id, email: schema.customers.email, externalId: schema.customers.externalId })
        .from(schema.customers)
        .where(eq(schema.customers.id, switchyardCustomerId));
      const mode = rollout.modeFor(scope, row ?? { id: switchyardCustomerId });
      if (mode === "live") return live.linkCustomer(stripeCustomerId, switchyardCustomerId, call);
      if (mode === "off") return;
      await recordShadowWrite(db, scope, {
        provider: live.name,
        operation: "link_customer",
        idempotencyKey: call.idempotencyKey,
        customerId: switchyardCustomerId,
        target: stripeCustomerId,
        request: { metadata: { switchyard_customer_id: switchyardCustomerId } },
      });
    },
  };
}
