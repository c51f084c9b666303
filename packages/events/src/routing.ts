import { INTERNAL_SOURCE, JOB_CATALOG } from "./catalog.ts";
import { WORK_QUEUES, type WorkQueue } from "./queues.ts";

/**
 * Normalized event type (`<source>.<type>`, Zendesk's `zen:event-type:` prefix dropped) -> the
 * queues that must see it. Derived from the job catalog, so a queue is only ever sent what it
 * declares it can handle. A type that is absent is recorded but not routed.
 */
export const ROUTES: Readonly<Record<string, readonly WorkQueue[]>> = (() => {
  const routes: Record<string, WorkQueue[]> = {};
  for (const queue of WORK_QUEUES) {
    for (const type of Object.keys(JOB_CATALOG[queue].jobs)) {
      if (type.startsWith(`${INTERNAL_SOURCE}.`)) continue;
      routes[type] = [...(routes[type] ?? []), queue];
    }
  }
  return routes;
})();

export function normalizeType(source: string, type: string): string {
  const bare = source === "zendesk" ? type.replace(/^zen:event-type:/, "") : type;
  return `${source}.${bare}`;
}

export function routeFor(normalizedType: string): readonly WorkQueue[] {
  return ROUTES[normalizedType] ?? [];
}
