import { and, type Db, eq, schema, sql } from "@switchyard/db";
import type { WriteOptions } from "./crm.ts";

export interface TicketInput {
  externalId: string;
  requesterEmail: string | null;
  subject: string | null;
  customerId: string | null;
}

export type Priority = "low" | "normal" | "high" | "urgent";

/** The support desk as Switchyard writes to it: context and drafts as internal notes, tags, priority. */
export interface SupportAdapter {
  readonly name: string;
  /** Makes sure the ticket exists (the desk's own, or one opened for an app's support request). */
  ensureTicket(input: TicketInput, opts: WriteOptions): Promise<{ externalId: string; created: boolean }>;
  /** Adds an internal (never public) note once per idempotency key. */
  addInternalNote(
    ticketExternalId: string,
    note: { body: string; kind: "context" | "draft" },
    opts: WriteOptions,
  ): Promise<{ noteId: string; created: boolean }>;
  updateTicket(
    ticketExternalId: string,
    change: { addTags?: string[]; priority?: Priority },
    opts: WriteOptions,
  ): Promise<void>;
}

/** The embedded desk: tickets and notes in Postgres (`support_tickets`, `support_notes`). */
export function localDesk(db: Db): SupportAdapter {
  const { supportNotes, supportTickets } = schema;
  const ticketId = async (externalId: string) => {
    const [row] = await db
      .select({ id: supportTickets.id })
      .from(supportTickets)
      .where(eq(supportTickets.externalId, externalId));
    if (!row) throw new Error(`ticket ${externalId} does not exist in the local desk`);
    return row.id;
  };
  return {
    name: "local",
    async ensureTicket(input) {
      const [created] = await db
        .insert(supportTickets)
        .values({
          externalId: input.externalId,
          requesterEmail: input.requesterEmail,
          subject: input.subject,
          customerId: input.customerId,
        })
        .onConflictDoNothing({ target: supportTickets.externalId })
        .returning({ id: supportTickets.id });
      return { externalId: input.externalId, created: Boolean(created) };
    },
    async addInternalNote(ticketExternalId, note, opts) {
      const id = await ticketId(ticketExternalId);
      const [created] = await db
        .insert(supportNotes)
        .values({ ticketId: id, idempotencyKey: opts.idempotencyKey, kind: note.kind, body: note.body, public: false })
        .onConflictDoNothing({ target: [supportNotes.ticketId, supportNotes.idempotencyKey] })
        .returning({ id: supportNotes.id });
      if (created) return { noteId: created.id, created: true };
      const [existing] = await db
        .select({ id: supportNotes.id })
        .from(supportNotes)
        .where(and(eq(supportNotes.ticketId, id), eq(supportNotes.idempotencyKey, opts.idempotencyKey)));
      return { noteId: existing?.id ?? "", created: false };
    },
    async updateTicket(ticketExternalId, change) {
      const tags = change.addTags ?? [];
      await db
        .update(supportTickets)
        .set({
          // Union, so applying the same tags twice leaves one copy of each.
          tags: sql`array(select distinct unnest(${supportTickets.tags} || ${sql.param(tags)}::text[]) order by 1)`,
          ...(change.priority ? { priority: change.priority } : {}),
          updatedAt: new Date(),
        })
        .where(eq(supportTickets.externalId, ticketExternalId));
    },
  };
}
