import type { Config, Logger } from "@switchyard/config";
import type { Db } from "@switchyard/db";
import type { OpenApiDocument } from "@switchyard/http";
import type { Metrics } from "@switchyard/metrics";
import type { Dispatcher, QueueRegistry } from "@switchyard/queue";
import type { Redis } from "ioredis";
import type { LoadKpis } from "./console/kpis.ts";
import type { Role } from "./roles.ts";

export interface AdminCredentials {
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

export interface AdminDeps {
  config: Config;
  db: Db;
  registry: QueueRegistry;
  dispatcher: Dispatcher;
  logger: Logger;
  credentials: AdminCredentials;
  /** The console overview's KPI section; without it the console says "KPIs not configured". */
  loadKpis?: LoadKpis | undefined;
  /** Where /metrics reads the other processes' snapshots. */
  redis: Redis;
  /** This process's instruments when absent. */
  metrics?: Metrics;
  /**
   * Ingest's document, merged into admin's /openapi.json. Only a process that composes both apps (the
   * launcher) has it: admin does not import ingest.
   */
  publicApi?: OpenApiDocument | undefined;
}

export type AdminEnv = {
  Variables: {
    requestId: string;
    /** Who is acting, for the audit log: the account's name, the basic-auth user, or "ADMIN_TOKEN". */
    actor: string;
    /** What the actor may do (roles.ts); the token and basic auth are admin. */
    role: Role;
  };
};
