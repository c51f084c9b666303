import { type Db, eq, schema, sql } from "@switchyard/db";

export type LifecycleStage = "lead" | "customer" | "past_due" | "churned";

export interface ContactInput {
  customerId: string;
  email: string | null;
  externalId: string | null;
  lifecycleStage: LifecycleStage;
  plan: string | null;
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
      const values = {
        customerId: input.customerId,
        email: input.email,
        externalId: input.externalId,
        lifecycleStage: input.lifecycleStage,
        plan: input.plan,
      };
      const [written] = await db
        .insert(crmContacts)
        .values(values)
        .onConflictDoUpdate({
          target: crmContacts.customerId,
          set: {
            email: values.email,
            externalId: values.externalId,
            lifecycleStage: values.lifecycleStage,
            plan: values.plan,
            writes: sql`${crmContacts.writes} + 1`,
            updatedAt: new Date(),
          },
          // An identical write changes nothing, so repeats leave no trace.
          setWhere: sql`(${crmContacts.email}, ${crmContacts.externalId}, ${crmContacts.lifecycleStage}, ${crmContacts.plan})
            is distinct from (excluded.email, excluded.external_id, excluded.lifecycle_stage, excluded.plan)`,
        })
        .returning({ id: crmContacts.id, writes: crmContacts.writes });
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
