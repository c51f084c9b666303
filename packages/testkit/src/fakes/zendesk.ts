import { FakeServer, type Received } from "./server.ts";

export interface FakeTicket {
  id: number;
  external_id: string | null;
  subject: string | null;
  requester_email: string | null;
  priority: string | null;
  tags: string[];
  status: string;
}

export interface FakeComment {
  id: number;
  body: string;
  public: boolean;
}

/**
 * The parts of Zendesk's Support API Switchyard uses: tickets (read, find by external_id,
 * create, update with a comment, tags and priority) and their comments. Checks API-token auth.
 */
export class FakeZendesk extends FakeServer {
  readonly tickets = new Map<number, FakeTicket>();
  readonly comments = new Map<number, FakeComment[]>();
  private nextId = 1000;
  email: string;
  apiToken: string;

  constructor(opts: { email?: string; apiToken?: string } = {}) {
    super((req) => this.routeFor(req));
    this.email = opts.email ?? "agent@example.com";
    this.apiToken = opts.apiToken ?? "zd-fake-token";
  }

  static async start(opts: { email?: string; apiToken?: string } = {}): Promise<FakeZendesk> {
    return new FakeZendesk(opts).start();
  }

  /** A ticket that exists in the desk before Switchyard hears of it (as a webhook would announce). */
  addTicket(t: { id: number; subject?: string; requesterEmail?: string }): void {
    this.tickets.set(t.id, {
      id: t.id,
      external_id: null,
      subject: t.subject ?? null,
      requester_email: t.requesterEmail ?? null,
      priority: null,
      tags: [],
      status: "new",
    });
  }

  notesOn(id: number): FakeComment[] {
    return (this.comments.get(id) ?? []).filter((c) => !c.public);
  }

  private routeFor(req: Received) {
    const expected = `Basic ${Buffer.from(`${this.email}/token:${this.apiToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected)
      return () => ({ status: 401, body: { error: "Couldn't authenticate you" } });
    const [path, query = ""] = req.path.split("?");
    if (req.method === "GET" && path === "/api/v2/tickets.json") {
      const externalId = new URLSearchParams(query).get("external_id");
      return () => ({
        status: 200,
        body: { tickets: [...this.tickets.values()].filter((t) => t.external_id === externalId) },
      });
    }
    if (req.method === "POST" && path === "/api/v2/tickets.json")
      return () => this.idempotent(req, () => this.create(req));
    const one = /^\/api\/v2\/tickets\/(\d+)(\/comments)?\.json$/.exec(path ?? "");
    const id = Number(one?.[1]);
    const ticket = this.tickets.get(id);
    if (!one) return undefined;
    if (!ticket) return () => ({ status: 404, body: { error: "RecordNotFound", description: "Not found" } });
    if (req.method === "GET" && one[2]) return () => ({ status: 200, body: { comments: this.comments.get(id) ?? [] } });
    if (req.method === "GET") return () => ({ status: 200, body: { ticket } });
    if (req.method === "PUT") return () => this.update(ticket, req);
    return undefined;
  }

  private create(req: Received) {
    const t = ((req.body as { ticket?: Record<string, unknown> })?.ticket ?? {}) as Record<string, unknown>;
    const id = this.nextId++;
    const requester = t.requester as { email?: string } | undefined;
    const ticket: FakeTicket = {
      id,
      external_id: (t.external_id as string) ?? null,
      subject: (t.subject as string) ?? null,
      requester_email: requester?.email ?? null,
      priority: (t.priority as string) ?? null,
      tags: (t.tags as string[]) ?? [],
      status: "new",
    };
    this.tickets.set(id, ticket);
    const comment = t.comment as { body?: string; public?: boolean } | undefined;
    if (comment?.body)
      this.comments.set(id, [{ id: this.nextId++, body: comment.body, public: comment.public ?? true }]);
    return { status: 201, body: { ticket } };
  }

  private update(ticket: FakeTicket, req: Received) {
    const t = ((req.body as { ticket?: Record<string, unknown> })?.ticket ?? {}) as Record<string, unknown>;
    if (typeof t.priority === "string") ticket.priority = t.priority;
    const add = (t.additional_tags as string[] | undefined) ?? [];
    ticket.tags = [...new Set([...ticket.tags, ...add])].sort();
    const events: unknown[] = [];
    const comment = t.comment as { body?: string; public?: boolean } | undefined;
    if (comment?.body) {
      const c: FakeComment = { id: this.nextId++, body: comment.body, public: comment.public ?? true };
      this.comments.set(ticket.id, [...(this.comments.get(ticket.id) ?? []), c]);
      events.push({ id: c.id, type: "Comment", body: c.body, public: c.public });
    }
    return { status: 200, body: { ticket, audit: { id: this.nextId++, events } } };
  }
}
