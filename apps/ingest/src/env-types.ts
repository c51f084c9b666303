import type { IncomingMessage } from "node:http";
import type { Config, Logger } from "@switchyard/config";
import type { Db } from "@switchyard/db";
import type { Metrics } from "@switchyard/metrics";
import type { Dispatcher } from "@switchyard/queue";
import type { Pipeline } from "./pipeline.ts";

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
}

/** What routes get: the dependencies plus the pipeline newApp() built from them. */
export type RouteDeps = IngestDeps & { pipeline: Pipeline; metrics: Metrics };

/** What middleware hands to routes: the body exactly as signed, and when it arrived. */
export interface RawRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
  receivedAt: number;
}

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
