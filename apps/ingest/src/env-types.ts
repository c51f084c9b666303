import type { IncomingMessage } from "node:http";
import type { Config, Logger } from "@switchyard/config";
import type { Db } from "@switchyard/db";
import type { Metrics } from "@switchyard/metrics";
import type { Dispatcher } from "@switchyard/queue";
import type { SourceRegistry } from "@switchyard/sources";
import type { Pipeline } from "./pipeline.ts";
import type { RefusalCounter } from "./refusal-counter.ts";

export interface IngestDeps {
  config: Config;
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Throws when a dependency (Redis, Postgres) is unreachable. */
  checkReady(): Promise<void>;
  /** Built by newApp() when absent; startIngest() passes its own so close() can wait for it. */
  pipeline?: Pipeline;
  /** Clock in ms, injectable so timestamp windows can be tested without sleeping. */
  now?: () => number;
  /** Where request counts go; the process's own instruments when absent. */
  metrics?: Metrics;
  /** The webhook sources served; the built-in registry when absent (a test adds a fixture). */
  sources?: SourceRegistry;
  /** Counts refused webhook deliveries for the KPI; built by newApp() when absent, startIngest() closes its own. */
  refusals?: RefusalCounter;
}

/** What routes get: the dependencies plus the pipeline newApp() built from them. */
export type RouteDeps = IngestDeps & { pipeline: Pipeline; metrics: Metrics };

/** What middleware hands to routes: the body exactly as signed, and when it arrived. */
export type { RawRequest } from "@switchyard/sources";

import type { RawRequest } from "@switchyard/sources";

export type AppEnv = {
  /** Set by the Node server; absent under app.request() in tests. */
  Bindings: { incoming?: IncomingMessage };
  Variables: {
    requestId: string;
    receivedAt: number;
    raw: RawRequest;
    /** The configured source a route resolved, for metrics labels. */
    source: string | undefined;
  };
};
