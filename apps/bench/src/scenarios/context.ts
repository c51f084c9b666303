import type { BenchSettings } from "../settings.ts";
import type { Run } from "../setup.ts";

/** What every scenario runs against: the run's resources and the ingest process they share. */
export interface Context {
  run: Run;
  settings: BenchSettings;
  ingestUrl: string;
}
