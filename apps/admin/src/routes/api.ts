import type { PathItems } from "@switchyard/http";
import { Hono } from "hono";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { customerSummaryDocs, customerSummaryRoutes } from "./customer-summary.ts";
import { customerDocs, customerRoutes } from "./customers.ts";
import { eventDocs, eventRoutes } from "./events.ts";
import { failureDocs, failureRoutes } from "./failures.ts";
import { reportDocs, reportRoutes } from "./reports.ts";
import { reviewDocs, reviewRoutes } from "./reviews.ts";

/** JSON under /api, behind the same auth as Bull Board. Every action is written to the audit log. */
export function apiRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .route("/", failureRoutes(deps))
    .route("/", eventRoutes(deps))
    .route("/", customerRoutes(deps))
    .route("/", customerSummaryRoutes(deps))
    .route("/", reportRoutes(deps))
    .route("/", reviewRoutes(deps));
}

/** Relative to where app.ts mounts these routes (/api). */
export const apiDocs: PathItems = {
  ...failureDocs,
  ...eventDocs,
  ...customerDocs,
  ...customerSummaryDocs,
  ...reportDocs,
  ...reviewDocs,
};
