import { once } from "node:events";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { deleteKeysWithPrefix, freePort, uniquePrefix } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./testing/processes.ts";

describe("pnpm demo", () => {
  const prefix = uniquePrefix("demo");
  const dataDir = `/tmp/sy-demo-${process.pid}-${Date.now()}`;
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await deleteKeysWithPrefix(prefix);
  });

  it("runs a day of signed traffic through every queue against the fakes, and says where to look", async () => {
    const proc = run(
      fileURLToPath(new URL("./demo.ts", import.meta.url)),
      {
        QUEUE_PREFIX: prefix,
        DATA_DIR: dataDir,
        INGEST_PORT: String(await freePort()),
        ADMIN_PORT: String(await freePort()),
      },
      ["--once"],
    );
    const [code] = await once(proc.child, "exit");
    const out = proc.output();
    expect(code, out).toBe(0);
    expect(out).toMatch(/signed events sent and processed/);
    expect(out).toMatch(/customers: 8\s+HubSpot contacts: 8\s+Zendesk internal notes: \d+\s+human-review items: [1-9]/);
    expect(out).toMatch(/failures: rate_limited 1/);
    expect(out).toMatch(/Bull Board\s+http:\/\/127\.0\.0\.1:\d+\/queues/);
    expect(out).toMatch(/Console\s+http:\/\/127\.0\.0\.1:\d+\/console/);
    expect(out).toMatch(/model calls: [1-9]/);
  }, 120_000);
});
