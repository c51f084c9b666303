import { actions } from "@switchyard/actions";
import { aiTriage } from "@switchyard/ai-triage";
import { billingSync } from "@switchyard/billing-sync";
import { crmSync } from "@switchyard/crm-sync";
import type { WorkerDefinition } from "@switchyard/queue";
import { supportContext } from "@switchyard/support-context";

/**
 * Every worker app's definition, the one list `pnpm start` and the system tests run. The launcher
 * holds it because it is the one app allowed to import the others; workers.test.ts checks it
 * against the work queues and against docker-compose.yml's services.
 */
export const WORKERS: readonly WorkerDefinition[] = [billingSync, crmSync, supportContext, aiTriage, actions];
