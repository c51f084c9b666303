import { runChild } from "./child.ts";
import type { Command } from "./command.ts";

export const bench: Command = {
  name: "bench",
  summary: "benchmark ingest against a bare baseline, end-to-end latency and worker throughput",
  details: `Runs \`pnpm bench\` (apps/bench; the README's Performance section says what it measures) on the local
Redis and Postgres, as ./sy test uses them. Takes minutes; a benchmark, not a test.`,
  // Through the package script, so the flags the bench needs (--expose-gc) live in one place.
  run: () => runChild("pnpm", ["bench"]),
};
