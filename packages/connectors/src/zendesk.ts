import type { Config } from "@switchyard/config";
import { and, type Db, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import type { WriteOptions } from "./crm.ts";
import { callProvider, commonFailure, type HttpResult } from "./http.ts";
import { localDesk, type Priority, type SupportAdapter, type TicketInput } from "./support.ts";

export interface ZendeskOptions {
  baseUrl: string;
  email: string;
  apiToken: string;
  timeoutMs?: number;
  /** Records note writes before they are made (`external_notes`): also the mirror the missing-context KPI reads. */
  db: Db;
}

interface Ticket {
  id: number;
}

/** The marker that lets a retry find the note an earlier attempt may already have posted. */
const marker = (key: string) => `[switchyard:${key}]`;

/**
 * Zendesk as the support desk. Ticket refs that are numbers are Zendesk's own ids (from its
 * webhooks); any other ref is an app request, kept as the ticket's `external_id`.
 */
export function zendeskDesk(opts: ZendeskOptions): SupportAdapter {
  const baseUrl = opts.baseUrl.replace(/\/$/, "");
  const auth = `Basic ${Buffer.from(`${opts.email}/token:${opts.apiToken}`).toString("base64")}`;
  const { externalNotes } = schema;

  async function call(method: string, path: string, body: unknown, write: WriteOptions): Promise<HttpResult> {
    const result = await callProvider({
      provider: "Zendesk",
      url: `${baseUrl}${path}`,
      method,
      headers: { authorization: auth, "idempotency-key": write.idempotencyKey },
      body,
      timeoutMs: opts.timeoutMs ?? 10_000,
      timeoutReason: "support_timeout",
      ...(write.signal ? { signal: write.signal } : {}),
    });
    const failure = commonFailure("Zendesk", result);
    if (failure) throw failure;
    if (result.status >= 400)
      throw new PermanentError("invalid_payload", `Zendesk refused ${method} ${path.split("?")[0]} (${result.status})`);
    return result;
  }

  async function find(ref: string, write: WriteOptions): Promise<Ticket | undefined> {
    if (/^\d+$/.test(ref)) {
      return ((await call("GET", `/api/v2/tickets/${ref}.json`, undefined, write)).body as { ticket: Ticket }).ticket;
    }
    const found = await call("GET", `/api/v2/tickets.json?external_id=${encodeURIComponent(ref)}`, undefined, write);
    return (found.body as { tickets: Ticket[] }).tickets[0];
  }

  async function ticketId(ref: string, write: WriteOptions): Promise<number> {
    const ticket = await find(ref, write);
    if (!ticket) throw new PermanentError("invalid_payload", `Zendesk has no ticket ${ref}`);
    return ticket.id;
  }

  return {
    name: "zendesk",
    async ensureTicket(input: TicketInput, write) {
      if (await find(input.externalId, write)) return { externalId: input.externalId, created: false };
      await call(
        "POST",
        "/api/v2/tickets.json",
        {
          ticket: {
            external_id: input.externalId,
            subject: input.subject ?? "Support request",
            comment: { body: input.subject ?? "Support request received through the app.", public: false },
            ...(input.requesterEmail ? { requester: { email: input.requesterEmail } } : {}),
          },
        },
        write,
      );
      return { externalId: input.externalId, created: true };
    },

    async addInternalNote(ref, note, write) {
      const key = write.idempotencyKey;
      const where = and(
        eq(externalNotes.provider, "zendesk"),
        eq(externalNotes.ticketRef, ref),
        eq(externalNotes.idempotencyKey, key),
      );
      // Recorded first: whatever happens to the call, a retry knows a note may exist.
      const [fresh] = await opts.db
        .insert(externalNotes)
        .values({ provider: "zendesk", ticketRef: ref, idempotencyKey: key, kind: note.kind })
        .onConflictDoNothing()
        .returning();
      const [row] = fresh ? [fresh] : await opts.db.select().from(externalNotes).where(where);
      if (row?.remoteId) return { noteId: row.remoteId, created: false };
      const id = await ticketId(ref, write);
      if (!fresh) {
        const listed = await call("GET", `/api/v2/tickets/${id}/comments.json`, undefined, write);
        const earlier = (listed.body as { comments: { id: number; body: string }[] }).comments.find((c) =>
          c.body.includes(marker(key)),
        );
        if (earlier) {
          await opts.db
            .update(externalNotes)
            .set({ remoteId: String(earlier.id), status: "written", writtenAt: new Date() })
            .where(where);
          return { noteId: String(earlier.id), created: false };
        }
      }
      const put = await call(
        "PUT",
        `/api/v2/tickets/${id}.json`,
        { ticket: { comment: { body: `${note.body}\n\n${marker(key)}`, public: false } } },
        write,
      );
      const events = (put.body as { audit?: { events?: { id: number; type: string }[] } }).audit?.events ?? [];
      const noteId = String(events.find((e) => e.type === "Comment")?.id ?? "");
      await opts.db
        .update(externalNotes)
        .set({ remoteId: noteId, status: "written", writtenAt: new Date() })
        .where(where);
      return { noteId, created: true };
    },

    async updateTicket(ref, change: { addTags?: string[]; priority?: Priority }, write) {
      const id = await ticketId(ref, write);
      await call(
        "PUT",
        `/api/v2/tickets/${id}.json`,
        {
          ticket: {
            ...(change.addTags?.length ? { additional_tags: change.addTags } : {}),
            ...(change.priority ? { priority: change.priority } : {}),
          },
        },
        write,
      );
    },
  };
}

export type DeskSettings = Pick<
  Config,
  "ZENDESK_API_BASE" | "ZENDESK_EMAIL" | "ZENDESK_API_TOKEN" | "PROVIDER_TIMEOUT_MS"
>;

/** Zendesk when its base URL, email and token are all configured; the embedded desk otherwise. */
export function supportDesk(db: Db, config: DeskSettings): SupportAdapter {
  const { ZENDESK_API_BASE: baseUrl, ZENDESK_EMAIL: email, ZENDESK_API_TOKEN: apiToken } = config;
  if (baseUrl && email && apiToken) {
    return zendeskDesk({ baseUrl, email, apiToken, db, timeoutMs: config.PROVIDER_TIMEOUT_MS });
  }
  return localDesk(db);
}
