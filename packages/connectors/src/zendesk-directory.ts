import type { Config } from "@switchyard/config";
import { PermanentError } from "@switchyard/events";
import { callProvider, commonFailure } from "./http.ts";

/** What Switchyard reads of a Zendesk user (Users API). */
export interface ZendeskUser {
  id: number;
  name: string | null;
  email: string | null;
  external_id: string | null;
}

/** What Switchyard reads of a Zendesk ticket (Tickets API). */
export interface ZendeskTicket {
  id: number;
  subject: string | null;
  description: string | null;
  requester_id: number | null;
  status: string | null;
}

/** Reads from Zendesk: the requester an event names by id, the ticket an event describes in part. */
export interface ZendeskDirectory {
  /** The user, undefined when Zendesk has none by that id (deleted, merged). Cached per process. */
  user(id: string | number, opts?: { signal?: AbortSignal }): Promise<ZendeskUser | undefined>;
  /** The ticket as it is now; undefined when Zendesk has none by that id. Never cached. */
  ticket(id: string | number, opts?: { signal?: AbortSignal }): Promise<ZendeskTicket | undefined>;
}

export interface ZendeskDirectoryOptions {
  baseUrl: string;
  email: string;
  apiToken: string;
  timeoutMs?: number;
  /** How long a user read stays fresh; a requester's email rarely changes between two tickets. */
  userTtlMs: number;
  /** Most users kept; the oldest read goes first. */
  maxUsers?: number;
  now?: () => number;
}

/** Zendesk's Users and Tickets APIs, read with the agent's API token. */
export function zendeskDirectory(opts: ZendeskDirectoryOptions): ZendeskDirectory {
  const baseUrl = opts.baseUrl.replace(/\/$/, "");
  const auth = `Basic ${Buffer.from(`${opts.email}/token:${opts.apiToken}`).toString("base64")}`;
  const now = opts.now ?? Date.now;
  const maxUsers = opts.maxUsers ?? 10_000;
  // Promises, so concurrent tickets of one requester share a single read.
  const users = new Map<string, { at: number; value: Promise<ZendeskUser | undefined> }>();

  async function read<T>(path: string, signal: AbortSignal | undefined): Promise<T | undefined> {
    const result = await callProvider({
      provider: "Zendesk",
      url: `${baseUrl}${path}`,
      method: "GET",
      headers: { authorization: auth, accept: "application/json" },
      timeoutMs: opts.timeoutMs ?? 10_000,
      timeoutReason: "support_timeout",
      ...(signal ? { signal } : {}),
    });
    const failure = commonFailure("Zendesk", result);
    if (failure) throw failure;
    if (result.status === 404) return undefined;
    if (result.status >= 400)
      throw new PermanentError("invalid_payload", `Zendesk refused GET ${path} (${result.status})`);
    return result.body as T;
  }

  const idOf = (id: string | number) => {
    const text = String(id);
    if (!/^\d+$/.test(text)) throw new PermanentError("invalid_payload", "a Zendesk id is a number");
    return text;
  };

  return {
    user(id, { signal } = {}) {
      const key = idOf(id);
      const cached = users.get(key);
      if (cached && now() - cached.at < opts.userTtlMs) return cached.value;
      const value = read<{ user: ZendeskUser }>(`/api/v2/users/${key}.json`, signal).then((b) =>
        b?.user
          ? {
              id: b.user.id,
              name: b.user.name ?? null,
              email: b.user.email ?? null,
              external_id: b.user.external_id ?? null,
            }
          : undefined,
      );
      users.delete(key);
      users.set(key, { at: now(), value });
      // A failed read is not remembered: the next ticket asks again.
      value.catch(() => {
        if (users.get(key)?.value === value) users.delete(key);
      });
      while (users.size > maxUsers) users.delete(users.keys().next().value as string);
      return value;
    },
    async ticket(id, { signal } = {}) {
      const body = await read<{ ticket: ZendeskTicket }>(`/api/v2/tickets/${idOf(id)}.json`, signal);
      if (!body?.ticket) return undefined;
      const t = body.ticket;
      return {
        id: t.id,
        subject: t.subject ?? null,
        description: t.description ?? null,
        requester_id: t.requester_id ?? null,
        status: t.status ?? null,
      };
    },
  };
}

export type DirectorySettings = Pick<
  Config,
  "ZENDESK_API_BASE" | "ZENDESK_EMAIL" | "ZENDESK_API_TOKEN" | "PROVIDER_TIMEOUT_MS" | "ZENDESK_USER_CACHE_MS"
>;

// One per account in a process, so support-context and ai-triage under `pnpm start` share its users.
const shared = new Map<string, ZendeskDirectory>();

/**
 * Zendesk's reads when its base URL, email and token are all configured (as `supportDesk`
 * decides), one per account and process.
 */
export function zendeskDirectoryFor(config: DirectorySettings): ZendeskDirectory | undefined {
  const { ZENDESK_API_BASE: baseUrl, ZENDESK_EMAIL: email, ZENDESK_API_TOKEN: apiToken } = config;
  if (!baseUrl || !email || !apiToken) return undefined;
  const key = JSON.stringify([baseUrl, email, apiToken, config.ZENDESK_USER_CACHE_MS, config.PROVIDER_TIMEOUT_MS]);
  const known = shared.get(key);
  if (known) return known;
  const made = zendeskDirectory({
    baseUrl,
    email,
    apiToken,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    userTtlMs: config.ZENDESK_USER_CACHE_MS,
  });
  shared.set(key, made);
  return made;
}
