import { pageAudit } from "@switchyard/db";
import { kpiSettings, loadKpis } from "@switchyard/domain";
import { type PathItems, queryParam, ref } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { adminError, ok, tags } from "./docs.ts";
import { pageParams, pageProperties } from "./events.ts";
import { pageSize, withCursor } from "./list-query.ts";

/** Read-only views: the business KPIs against their thresholds, and the audit log. */
export function reportRoutes(deps: AdminDeps) {
  const { db } = deps;
  return new Hono<AdminEnv>()
    .get("/kpis", async (c) => c.json({ kpis: await loadKpis(db, kpiSettings(deps.config)) }))
    .get("/audit", async (c) => {
      const q = c.req.query();
      const page = await withCursor(() =>
        pageAudit(
          db,
          { actor: q.actor || undefined, action: q.action || undefined, target: q.target || undefined },
          { after: q.after || undefined, limit: pageSize(q.limit, 100) },
        ),
      );
      return c.json({ entries: page.rows, next: page.next, total: page.total, capped: page.capped });
    });
}

export const reportDocs: PathItems = {
  "/kpis": {
    get: {
      tags,
      summary: "Business KPIs, each judged against its threshold",
      responses: {
        ...ok("Every KPI", {
          type: "object",
          required: ["kpis"],
          properties: { kpis: { type: "array", items: ref("Kpi") } },
        }),
        ...adminError(),
      },
    },
  },
  "/audit": {
    get: {
      tags,
      summary: "Who did what, when, why (newest first, keyset-paged)",
      parameters: [
        queryParam("actor", "Who: an account name, or token"),
        queryParam("action", "An action (failure.retry) or its family (failure, bull-board)"),
        queryParam("target", "What it acted on: a failure, event or customer id"),
        ...pageParams(100),
      ],
      responses: {
        ...ok("A page of audit entries", {
          type: "object",
          required: ["entries", "next", "total", "capped"],
          properties: { entries: { type: "array", items: ref("AuditEntry") }, ...pageProperties },
        }),
        ...adminError("invalid_request"),
      },
    },
  },
};
