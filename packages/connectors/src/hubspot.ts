import type { Db } from "@switchyard/db";
import { PermanentError, RetryableError } from "@switchyard/events";
import { type ContactInput, type CrmAdapter, type LifecycleStage, mirrorContact, type OrderFigures } from "./crm.ts";
import { callProvider, commonFailure } from "./http.ts";

export interface HubspotOptions {
  token: string;
  baseUrl?: string;
  timeoutMs?: number;
  /** Where each contact id HubSpot hands back is mirrored (`crm_contact_mirror`), for the duplicates KPI. */
  db?: Db;
}

/** HubSpot's own lifecycle vocabulary; Switchyard's finer stage rides in a custom property. */
const HUBSPOT_STAGE: Record<LifecycleStage, string> = {
  lead: "lead",
  customer: "customer",
  past_due: "customer",
  churned: "other",
};

const TEN_SECONDS = 10_000;

interface BatchResponse {
  /** With the record's stored properties: a lifecycle stage HubSpot ignored shows here as the old one. */
  results?: { id: string; new?: boolean; properties?: Record<string, string> }[];
  errors?: { message?: string; category?: string }[];
  policyName?: string;
}

/** Contacts upserted by email through HubSpot's batch API (one input per job keeps retries exact). */
export function hubspotCrm(opts: HubspotOptions): CrmAdapter {
  const baseUrl = (opts.baseUrl ?? "https://api.hubapi.com").replace(/\/$/, "");
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return {
    name: "hubspot",
    async upsertContact(input: ContactInput, call) {
      if (!input.email)
        throw new PermanentError("invalid_payload", "HubSpot contacts are keyed by email; this customer has none");
      const email = input.email;
      const upsert = async (props: Record<string, string>, idempotencyKey: string) => {
        const result = await callProvider({
          provider: "HubSpot",
          url: `${baseUrl}/crm/v3/objects/contacts/batch/upsert`,
          method: "POST",
          headers: { authorization: `Bearer ${opts.token}`, "idempotency-key": idempotencyKey },
          body: { inputs: [{ idProperty: "email", id: email, properties: props }] },
          timeoutMs,
          timeoutReason: "crm_timeout",
          ...(call.signal ? { signal: call.signal } : {}),
        });
        const body = (result.body ?? {}) as BatchResponse;
        if (result.status === 429) {
          // DAILY only resets at midnight: fail now and let an operator retry after the reset.
          if (body.policyName === "DAILY")
            throw new PermanentError("rate_limited", "HubSpot daily API limit reached; retry after the daily reset");
          const failure = commonFailure("HubSpot", result) as RetryableError;
          throw new RetryableError("rate_limited", failure.message, {
            retryAfterMs: failure.retryAfterMs ?? TEN_SECONDS,
          });
        }
        const common = commonFailure("HubSpot", result);
        if (common) throw common;
        const written = body.results?.[0];
        // 207: the batch partly failed; with one input, that input is what failed.
        if (result.status === 207 || !written) {
          const why = body.errors?.[0]?.message ?? `HubSpot answered ${result.status}`;
          throw new PermanentError("invalid_payload", `HubSpot refused the contact: ${why}`);
        }
        if (result.status >= 400) throw new PermanentError("invalid_payload", `HubSpot answered ${result.status}`);
        return written;
      };
      const stage = HUBSPOT_STAGE[input.lifecycleStage];
      const created = await upsert(properties(input), call.idempotencyKey);
      // HubSpot ignores a lifecycle stage earlier than the contact's (an override cleared on a lead,
      // a churned customer back): the answer still shows the old one. Clearing the property first,
      // in a request of its own (a batch's inputs have no guaranteed order), lets the stage be set.
      // A retry between the two finds the stage empty, and its first write sets it.
      const stored = created.properties?.lifecyclestage;
      if (stored !== undefined && stored !== stage) {
        await upsert({ lifecyclestage: "" }, `${call.idempotencyKey}-clear-stage`);
        await upsert({ lifecyclestage: stage }, `${call.idempotencyKey}-stage`);
      }
      // After the write: should this fail, the retry's upsert is a no-op in HubSpot and writes it again.
      if (opts.db) await mirrorContact(opts.db, "hubspot", input, created.id);
      return { contactId: created.id, created: Boolean(created.new), changed: true };
    },
  };
}

function properties(input: ContactInput): Record<string, string> {
  return {
    email: input.email ?? "",
    lifecyclestage: HUBSPOT_STAGE[input.lifecycleStage],
    switchyard_lifecycle: input.lifecycleStage,
    switchyard_plan: input.plan ?? "",
    switchyard_customer_id: input.customerId,
    ...(input.externalId ? { switchyard_user_id: input.externalId } : {}),
    ...(input.orders ? orderProperties(input.orders) : {}),
  };
}

/** Custom contact properties, created once in HubSpot (connectors README); a date is a YYYY-MM-DD day. */
function orderProperties(o: OrderFigures): Record<string, string> {
  return {
    switchyard_orders_count: String(o.count),
    switchyard_lifetime_value: String(o.lifetimeValue),
    switchyard_last_order_date: o.lastOrderDate ?? "",
    switchyard_role: o.role,
    switchyard_connect_status: o.connectStatus ?? "",
  };
}
