import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SlowProxy, startSentinelSet, startSlowProxy, type TestSentinels } from "@switchyard/testkit";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createRedis } from "./redis.ts";

// A busy host makes asking the Sentinels for the master slow. ioredis' failover detector, when on,
// closed the connector on +switch-master while such a lookup was in flight, and the client ended
// for good: most of a process's connections never wrote again after a failover.
describe("Sentinel failover with slow master lookups", () => {
  const dir = mkdtempSync(join(tmpdir(), "sy-sentinel-unit-"));
  let set: TestSentinels | undefined;
  const proxies: SlowProxy[] = [];
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(proxies.map((p) => p.close()));
    await set?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("every producer and worker connection writes to the promoted replica, none ends", async () => {
    set = await startSentinelSet(dir);
    const s = set;
    for (const addr of s.list.split(",")) {
      proxies.push(await startSlowProxy({ host: "127.0.0.1", port: Number(addr.split(":")[1]) }, 150));
    }
    const target = {
      url: "redis://127.0.0.1:6379",
      sentinels: proxies.map((p) => `127.0.0.1:${p.port}`),
      sentinelMaster: s.master,
    };
    for (let i = 0; i < 60; i++) {
      const c = createRedis(target, i % 2 ? "producer" : "worker");
      c.on("error", () => {});
      clients.push(c);
    }
    await Promise.all(clients.map((c) => c.ping()));
    let writing = true;
    const loops = clients.map(async (c, i) => {
      while (writing) {
        await c.set(`sentinel-unit-${i}`, "1").catch(() => {});
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    await s.primary.kill();
    let promoted = false;
    for (let i = 0; i < 300 && !promoted; i++) {
      promoted = (await s.masterPort()) === s.replica.port;
      if (!promoted) await new Promise((r) => setTimeout(r, 100));
    }
    expect(promoted).toBe(true);
    let writable = 0;
    for (let i = 0; i < 40 && writable < clients.length; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const ok = await Promise.all(
        clients.map((c) =>
          c.set("sentinel-unit-probe", "1").then(
            () => 1,
            () => 0,
          ),
        ),
      );
      writable = ok.reduce((a: number, b: number) => a + b, 0);
    }
    writing = false;
    await Promise.all(loops);
    expect(clients.filter((c) => c.status === "end").length).toBe(0);
    expect(writable).toBe(clients.length);
  }, 60_000);
});
