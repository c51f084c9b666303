import { type Db, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import { isEntitled } from "./lifecycle.ts";
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
    await addTimeline(tx, {
      customerId,
      kind: "override",
      summary: `${by.actor} set status override to ${override ?? "none"}: ${by.reason}`,
      dedupeKey: `override:${by.auditKey}`,
      details: { override, entitled, actor: by.actor },
    });
    return updated ?? customer;
  });
}
