import { zendeskUserId } from "../fixtures.ts";
import { FakeServer, type Received } from "./server.ts";

/** A ticket with the fields of Zendesk's Tickets API that Switchyard reads or writes. */
export interface FakeTicket {
  id: number;
  external_id: string | null;
  subject: string | null;
  description: string | null;
  requester_id: number | null;
  priority: string | null;
  tags: string[];
  status: string;
  created_at: string;
  updated_at: string;
}

/** A user with the fields of Zendesk's Users API (`GET /api/v2/users/{id}`). */
export interface FakeUser {
  id: number;
  name: string;
  email: string | null;
  external_id: string | null;
  role: "end-user" | "agent" | "admin";
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface FakeComment {
  id: number;
  body: string;
  public: boolean;
}

const notFound = () => ({ status: 404, body: { error: "RecordNotFound", description: "Not found" } });

/**
 * The parts of Zendesk's Support API Switchyard uses: tickets (read, find by external_id,
 * create, update with a comment, tags and priority), their comments, and users (read one). Checks
 * API-token auth. As in Zendesk, a ticket names its requester by `requester_id` only; the email
 * lives on the user, and a ticket created with `requester: { email }` finds or makes that user.
 */
export class FakeZendesk extends FakeServer {
  readonly tickets = new Map<number, FakeTicket>();
  readonly users = new Map<number, FakeUser>();
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

  /**
   * An end user, found by email if Zendesk already has one. Its id is `zendeskUserId(email)`, so a
   * webhook fixture built for the same email names the same requester.
   */
  addUser(u: { email: string; name?: string; id?: number; externalId?: string }): FakeUser {
    const email = u.email.toLowerCase();
    const existing = [...this.users.values()].find((x) => x.email === email);
    if (existing) return existing;
    const now = new Date().toISOString();
    const user: FakeUser = {
      id: u.id ?? zendeskUserId(email),
      name: u.name ?? email.split("@")[0] ?? email,
      email,
      external_id: u.externalId ?? null,
      role: "end-user",
      active: true,
      created_at: now,
      updated_at: now,
    };
    this.users.set(user.id, user);
    return user;
  }

  /** A ticket that exists in the desk before Switchyard hears of it (as a webhook would announce). */
  addTicket(t: { id: number; subject?: string; description?: string; requesterEmail?: string }): FakeTicket {
    const now = new Date().toISOString();
    const ticket: FakeTicket = {
      id: t.id,
      external_id: null,
      subject: t.subject ?? null,
      description: t.description ?? t.subject ?? null,
      requester_id: t.requesterEmail ? this.addUser({ email: t.requesterEmail }).id : null,
      priority: null,
      tags: [],
      status: "new",
      created_at: now,
      updated_at: now,
    };
    this.tickets.set(t.id, ticket);
    return ticket;
  }

  notesOn(id: number): FakeComment[] {
    return (this.comments.get(id) ?? []).filter((c) => !c.public);
  }

  /** Requests of one kind, e.g. `requests(/^GET \/api\/v2\/users\//)`. */
  requests(match: RegExp): Received[] {
    return this.received.filter((r) => match.test(`${r.method} ${r.path}`));
  }

  private routeFor(req: Received) {
    const expected = `Basic ${Buffer.from(`${this.email}/token:${this.apiToken}`).toString("base64")}`;
    if (req.headers.authorization !== expected)
      return () => ({ status: 401, body: { error: "Couldn't authenticate you" } });
    const [path = "", query = ""] = req.path.split("?");
    if (req.method === "GET" && path === "/api/v2/tickets.json") {
      const externalId = new URLSearchParams(query).get("external_id");
      return () => ({
        status: 200,
        body: { tickets: [...this.tickets.values()].filter((t) => t.external_id === externalId) },
      });
    }
    if (req.method === "POST" && path === "/api/v2/tickets.json")
      return () => this.idempotent(req, () => this.create(req));
    const user = /^\/api\/v2\/users\/(\d+)(?:\.json)?$/.exec(path);
    if (user && req.method === "GET") {
      const found = this.users.get(Number(user[1]));
      return () => (found ? { status: 200, body: { user: found } } : notFound());
    }
    const one = /^\/api\/v2\/tickets\/(\d+)(\/comments)?\.json$/.exec(path);
    if (!one) return undefined;
    const id = Number(one[1]);
    const ticket = this.tickets.get(id);
    if (!ticket) return notFound;
    if (req.method === "GET" && one[2]) return () => ({ status: 200, body: { comments: this.comments.get(id) ?? [] } });
    if (req.method === "GET") return () => ({ status: 200, body: { ticket } });
    if (req.method === "PUT") return () => this.update(ticket, req);
    return undefined;
  }

  private create(req: Received) {
    const t = ((req.body as { ticket?: Record<string, unknown> })?.ticket ?? {}) as Record<string, unknown>;
    const id = this.nextId++;
    const requester = t.requester as { email?: string; name?: string } | undefined;
    const comment = t.comment as { body?: string; public?: boolean } | undefined;
    const now = new Date().toISOString();
    const ticket: FakeTicket = {
      id,
      external_id: (t.external_id as string) ?? null,
      subject: (t.subject as string) ?? null,
      description: comment?.body ?? null,
      requester_id: requester?.email
        ? this.addUser({ email: requester.email, ...(requester.name ? { name: requester.name } : {}) }).id
        : ((t.requester_id as number | undefined) ?? null),
      priority: (t.priority as string) ?? null,
      tags: (t.tags as string[]) ?? [],
      status: "new",
      created_at: now,
      updated_at: now,
    };
    this.tickets.set(id, ticket);
    if (comment?.body)
      this.comments.set(id, [{ id: this.nextId++, body: comment.body, public: comment.public ?? true }]);
    return { status: 201, body: { ticket } };
  }

  private update(ticket: FakeTicket, req: Received) {
    const t = ((req.body as { ticket?: Record<string, unknown> })?.ticket ?? {}) as Record<string, unknown>;
    if (typeof t.priority === "string") ticket.priority = t.priority;
    if (typeof t.status === "string") ticket.status = t.status;
    const add = (t.additional_tags as string[] | undefined) ?? [];
    ticket.tags = [...new Set([...ticket.tags, ...add])].sort();
    ticket.updated_at = new Date().toISOString();
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
