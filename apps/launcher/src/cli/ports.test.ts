import { once } from "node:events";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { startAdmin } from "@switchyard/admin";
import { createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle } from "@switchyard/db";
import { startIngest } from "@switchyard/ingest";
import { deleteKeysWithPrefix, freePort, uniquePrefix } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MAIN, entry, START_MAIN, sy } from "./testing.ts";

/** Another process's server on `host`, as whatever already runs on the operator's port. */
async function occupy(host: string): Promise<{ port: number; server: Server }> {
  const server = createServer();
  server.listen(0, host);
  await once(server, "listening");
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return { port: address.port, server };
}

describe("a port already in use", () => {
  const held: Server[] = [];
  const dataDir = `/tmp/sy-ports-${process.pid}-${Date.now()}`;
  let ingestHeld: number;
  let adminHeld: number;

  beforeAll(async () => {
    // Ingest listens on every address, admin on loopback: each is held where its server would bind.
    const ingest = await occupy("0.0.0.0");
    const admin = await occupy("127.0.0.1");
    held.push(ingest.server, admin.server);
    ingestHeld = ingest.port;
    adminHeld = admin.port;
  });
  afterAll(() => {
    for (const s of held) s.close();
  });

  const noStack = (text: string) => expect(text).not.toMatch(/^\s+at |EADDRINUSE|Error:/m);

  it("pnpm start says which variable to change and exits 1, before it opens the embedded database", async () => {
    const r = await entry(START_MAIN, [], { INGEST_PORT: String(ingestHeld), DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`switchyard: port ${ingestHeld} is already in use — set INGEST_PORT to another port\n`);
    noStack(r.stdout + r.stderr);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("./sy start names ADMIN_PORT when admin's port is the one taken", async () => {
    const env = { INGEST_PORT: String(await freePort()), ADMIN_PORT: String(adminHeld), DATA_DIR: dataDir };
    const r = await sy(["start"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`switchyard: port ${adminHeld} is already in use — set ADMIN_PORT to another port\n`);
    noStack(r.stdout + r.stderr);
  });

  it("the same port for both is named as such", async () => {
    const port = String(await freePort());
    const r = await entry(START_MAIN, [], { INGEST_PORT: port, ADMIN_PORT: port, DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `switchyard: INGEST_PORT and ADMIN_PORT are both ${port} — set one of them to another port\n`,
    );
  });

  it("pnpm demo says the same", async () => {
    const r = await entry(DEMO_MAIN, ["--once"], { INGEST_PORT: String(ingestHeld), DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`switchyard: port ${ingestHeld} is already in use — set INGEST_PORT to another port\n`);
    noStack(r.stdout + r.stderr);
  });

  describe("taken between the check and the listen", () => {
    const prefix = uniquePrefix("ports");
    let dbHandle: DbHandle;
    const logger = createLogger({ name: "ports-test", level: "silent" });
    const config = (env: Record<string, string>) =>
      parseConfig({
        NODE_ENV: "test",
        QUEUE_PREFIX: prefix,
        ADMIN_TOKEN: "sy_admin_ports_test_0123456789abcd",
        ...env,
      });

    beforeAll(async () => {
      dbHandle = await createDb({ dataDir: "memory://" });
    });
    afterAll(async () => {
      await dbHandle?.close();
      await deleteKeysWithPrefix(prefix);
    });

    it("ingest's listen rejects with a PortInUseError naming INGEST_PORT", async () => {
      const err = await startIngest({ config: config({ INGEST_PORT: String(ingestHeld) }), dbHandle, logger }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        name: "PortInUseError",
        port: ingestHeld,
        variable: "INGEST_PORT",
        message: `port ${ingestHeld} is already in use — set INGEST_PORT to another port`,
      });
    });

    it("admin's listen rejects with a PortInUseError naming ADMIN_PORT", async () => {
      const err = await startAdmin({
        config: config({ ADMIN_PORT: String(adminHeld) }),
        dbHandle,
        logger,
        credentials: { token: "sy_admin_ports_test_0123456789abcd" },
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "PortInUseError", port: adminHeld, variable: "ADMIN_PORT" });
    });
  });
});
