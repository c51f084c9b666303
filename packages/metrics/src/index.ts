export { Gauge, Registry } from "prom-client";
export { type Exposition, parseExposition, type Sample, sumOf } from "./exposition.ts";
export { METRIC_FAMILIES, missingFamilies } from "./families.ts";
export { createMetrics, type Metrics, processMetrics, secondsSince } from "./metrics.ts";
export {
  type MetricsJson,
  type MetricsPublisher,
  type PublisherOptions,
  publishProcessMetrics,
  readSnapshots,
  type ScrapeOptions,
  scrapeMetrics,
  startMetricsPublisher,
  writeSnapshot,
} from "./snapshots.ts";
