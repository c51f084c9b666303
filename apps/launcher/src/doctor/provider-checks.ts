import type { Config } from "@switchyard/config";
import { stripeEventLister } from "@switchyard/connectors";
import { type Check, fail, ok } from "./check.ts";

/** One read-only call with the configured key; what its answer says about the key. */
async function probe(name: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<Check> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    if (res.ok) return ok(`${name} answers with its key (GET ${new URL(url).pathname}: ${res.status})`);
    if (res.status === 401 || res.status === 403)
      return fail(`${name} refuses the key (${res.status})`, `paste ${name}'s key again; check its scopes`);
    return fail(`${name} answered ${res.status} to a read`, `check ${name}'s status page and the API base URL`);
  } catch (err) {
    return fail(
      `${name} unreachable: ${err instanceof Error ? err.message : String(err)}`,
      `check the network and ${name}'s API base URL`,
    );
  }
}

/** Each provider with a key configured: reachable, and the key accepted, by one read-only call. */
export async function providerChecks(config: Config): Promise<Check[]> {
  const timeoutMs = config.PROVIDER_TIMEOUT_MS;
  const checks: Promise<Check>[] = [];
  if (config.STRIPE_SECRET_KEY) {
    const key = config.STRIPE_SECRET_KEY;
    checks.push(
      (async () => {
        const now = Math.floor(Date.now() / 1000);
        try {
          await stripeEventLister({ secretKey: key, apiBase: config.STRIPE_API_BASE, timeoutMs }).page({
            gte: now - 3_600,
            lte: now,
            limit: 1,
          });
          return ok("Stripe answers with STRIPE_SECRET_KEY (GET /v1/events, what the reconcile reads)");
        } catch (err) {
          const reason = (err as { reason?: string }).reason;
          return reason === "auth_failed"
            ? fail("Stripe refuses STRIPE_SECRET_KEY", "paste the key again (Stripe → Developers → API keys)")
            : fail(
                `Stripe: ${err instanceof Error ? err.message : String(err)}`,
                "check the network and STRIPE_API_BASE",
              );
        }
      })(),
    );
  }
  if (config.HUBSPOT_ACCESS_TOKEN) {
    const base = (config.HUBSPOT_API_BASE ?? "https://api.hubapi.com").replace(/\/$/, "");
    checks.push(
      probe(
        "HubSpot",
        `${base}/crm/v3/objects/contacts?limit=1`,
        { authorization: `Bearer ${config.HUBSPOT_ACCESS_TOKEN}` },
        timeoutMs,
      ),
    );
  }
  if (config.ZENDESK_API_BASE && config.ZENDESK_EMAIL && config.ZENDESK_API_TOKEN) {
    const basic = Buffer.from(`${config.ZENDESK_EMAIL}/token:${config.ZENDESK_API_TOKEN}`).toString("base64");
    checks.push(
      probe(
        "Zendesk",
        `${config.ZENDESK_API_BASE.replace(/\/$/, "")}/api/v2/users/me.json`,
        { authorization: `Basic ${basic}` },
        timeoutMs,
      ),
    );
  }
  if (config.OPENAI_API_KEY) {
    const base = (config.OPENAI_BASE_URL ?? "https://api.openai.com/v1").replace(/\/$/, "");
    checks.push(probe("OpenAI", `${base}/models`, { authorization: `Bearer ${config.OPENAI_API_KEY}` }, timeoutMs));
  }
  return Promise.all(checks);
}
