import { type Db, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import { isEntitled, lifecycleStage } from "./lifecycle.ts";
import { addTimeline } from "./timeline.ts";

export type StatusOverride = "entitled" | "not_entitled" | null;

/** An operator's decision beats billing facts until it is cleared (null); it is always on the timeline. */
export async function overrideCustomerStatus(
  db: Db,
  customerId: string,
  override: StatusOverride,
  by: { actor: string; reason: string; auditKey: string },
) {
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const [customer] = await tx
      .select()
      .from(schema.customers)
      .where(eq(schema.customers.id, customerId))
      .for("update");
    if (!customer) throw new PermanentError("invalid_payload", `customer ${customerId} does not exist`);
    const entitled = isEntitled({ ...customer, statusOverride: override });
    const [updated] = await tx
      .update(schema.customers)
      .set({ statusOverride: override, entitled, updatedAt: new Date() })
      .where(eq(schema.customers.id, customerId))
      .returning();
    // The stage moves with the override, so the line says where to, and the CRM sync after it shows it arrive.
    const stage = { from: lifecycleStage(customer), to: lifecycleStage({ ...customer, statusOverride: override }) };
    const moved = stage.from === stage.to ? `stays ${stage.to}` : `${stage.from} → ${stage.to}`;
    await addTimeline(tx, {
      customerId,
      kind: "override",
      summary: `${by.actor} set status override to ${override ?? "none"}: ${by.reason}; lifecycle stage ${moved}`,
      dedupeKey: `override:${by.auditKey}`,
      details: { override, entitled, actor: by.actor, stage },
    });
    return updated ?? customer;
  });
}
