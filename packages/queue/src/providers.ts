import type { Config } from "@switchyard/config";
import type { WorkQueue } from "@switchyard/events";

/**
 * Whom a queue's jobs call, by the same settings each worker app reads to pick its adapter
 * (apps/<queue>/src/worker.ts), so an alert can say "crm-sync (HubSpot)" without asking the worker.
 */
export function providerOf(queue: WorkQueue, config: Config): string {
  switch (queue) {
    case "billing-sync":
      return config.STRIPE_SECRET_KEY ? "Stripe" : "Stripe events";
    case "crm-sync":
      return config.HUBSPOT_ACCESS_TOKEN ? "HubSpot" : "built-in CRM";
    case "support-context":
      return config.ZENDESK_API_BASE && config.ZENDESK_EMAIL && config.ZENDESK_API_TOKEN ? "Zendesk" : "built-in desk";
    case "ai-triage":
      return config.OPENAI_API_KEY ? "OpenAI" : "rules classifier";
    case "actions":
      return config.STRIPE_SECRET_KEY ? "Stripe and the desk" : "the desk (no Stripe key)";
  }
}
