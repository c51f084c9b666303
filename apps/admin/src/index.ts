export { newAdminApp } from "./app.ts";
export type { KpiView, LoadKpis } from "./console/kpis.ts";
export { adminCredentials, type CredentialsResult } from "./credentials.ts";
export type { AdminCredentials, AdminDeps, AdminEnv } from "./env-types.ts";
export { type KpiChecker, type KpiCheckerOptions, startKpiChecker } from "./kpi-checker.ts";
export { type AdminServer, startAdmin } from "./server.ts";
