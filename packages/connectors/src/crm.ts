import { type Db, eq, rowsOf, schema, sql } from "@switchyard/db";

export type LifecycleStage = "lead" | "customer" | "past_due" | "churned";

export interface ContactInput {
  customerId: string;
  email: string | null;
  externalId: string | null;
  lifecycleStage: LifecycleStage;
  plan: string | null;
  /** A marketplace buyer's or seller's figures (crm-sync's order jobs); the local CRM keeps only the stage. */
  orders?: OrderFigures;
}

export interface OrderFigures {
  /** Paid orders as a buyer, what they are worth net of refunds (minor units), and the last one's day. */
  count: number;
  lifetimeValue: number;
  lastOrderDate: string | null;
  role: "buyer" | "seller";
  /** A seller's Stripe Connect account: enabled, restricted or pending; null without one. */
  connectStatus: string | null;
}

export interface WriteOptions {
  /** Same on every retry of the same step, so the CRM can drop repeats. */
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface ContactResult {
  contactId: string;
  created: boolean;
  changed: boolean;
}

/** The CRM as crm-sync sees it: one contact per customer, written by upsert. */
export interface CrmAdapter {
  readonly name: string;
  upsertContact(input: ContactInput, opts: WriteOptions): Promise<ContactResult>;
}

/** The embedded CRM: contacts in Postgres (`crm_contacts`), one row per customer. */
export function localCrm(db: Db): CrmAdapter {
  const { crmContacts } = schema;
  return {
    name: "local",
    async upsertContact(input) {
      // Plain SQL: crm-sync runs it for every job, and drizzle's upsert builder cost more than
      // the statement. An identical write changes nothing, so repeats leave no trace.
      const result = await db.execute(sql`
        insert into ${crmContacts} as c (customer_id, email, external_id, lifecycle_stage, plan)
        values (${input.customerId}::text::uuid, ${input.email}, ${input.externalId}, ${input.lifecycleStage},
          ${input.plan})
        on conflict (customer_id) do update set email = excluded.email, external_id = excluded.external_id,
          lifecycle_stage = excluded.lifecycle_stage, plan = excluded.plan, writes = c.writes + 1,
          updated_at = now()
        where (c.email, c.external_id, c.lifecycle_stage, c.plan)
          is distinct from (excluded.email, excluded.external_id, excluded.lifecycle_stage, excluded.plan)
        returning c.id::text as id, c.writes`);
      const [written] = rowsOf<{ id: string; writes: number }>(result);
      if (written) return { contactId: written.id, created: written.writes === 1, changed: true };
      const [existing] = await db
        .select({ id: crmContacts.id })
        .from(crmContacts)
        .where(eq(crmContacts.customerId, input.customerId));
      if (!existing) throw new Error(`contact for customer ${input.customerId} vanished`);
      return { contactId: existing.id, created: false, changed: false };
    },
  };
}

/**
 * Records a contact id an external CRM gave for a customer. A customer holding a second id there
 * is a duplicate record, which the CRM will not tell us about unless asked.
 */
export async function mirrorContact(db: Db, provider: string, input: ContactInput, contactId: string): Promise<void> {
  const { crmContactMirror } = schema;
  // Plain SQL, like localCrm's upsert: it runs on every crm-sync job.
  await db.execute(sql`
    insert into ${crmContactMirror} as m (provider, customer_id, contact_id, email)
    values (${provider}, ${input.customerId}::text::uuid, ${contactId}, ${input.email})
    on conflict (provider, customer_id, contact_id) do update set email = excluded.email, writes = m.writes + 1,
      updated_at = now()`);
}
