import { PermanentError, RetryableError } from "@switchyard/events";
import type { ContactInput, CrmAdapter, LifecycleStage } from "./crm.ts";
import { callProvider, commonFailure } from "./http.ts";

export interface HubspotOptions {
  token: string;
  baseUrl?: string;
  timeoutMs?: number;
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
  results?: { id: string; new?: boolean }[];
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
      const result = await callProvider({
        provider: "HubSpot",
        url: `${baseUrl}/crm/v3/objects/contacts/batch/upsert`,
        method: "POST",
        headers: { authorization: `Bearer ${opts.token}`, "idempotency-key": call.idempotencyKey },
        body: { inputs: [{ idProperty: "email", id: input.email, properties: properties(input) }] },
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
      const created = body.results?.[0];
      // 207: the batch partly failed; with one input, that input is what failed.
      if (result.status === 207 || !created) {
        const why = body.errors?.[0]?.message ?? `HubSpot answered ${result.status}`;
        throw new PermanentError("invalid_payload", `HubSpot refused the contact: ${why}`);
      }
      if (result.status >= 400) throw new PermanentError("invalid_payload", `HubSpot answered ${result.status}`);
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
  };
}
