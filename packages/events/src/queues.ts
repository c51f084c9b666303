export const WORK_QUEUES = ["billing-sync", "crm-sync", "support-context", "ai-triage", "actions"] as const;

export type WorkQueue = (typeof WORK_QUEUES)[number];

export function isWorkQueue(value: string): value is WorkQueue {
  return (WORK_QUEUES as readonly string[]).includes(value);
}
