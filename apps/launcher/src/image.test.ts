import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WORK_QUEUES } from "@switchyard/events";
import {
  appEventRequest,
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComposeService, composeServices, parseDotenv, serviceEnv } from "./testing/compose.ts";
import { type Container, composeTest, startContainer } from "./testing/container.ts";
import { type Healthcheck, parseDockerfile, parseHealthcheck } from "./testing/dockerfile.ts";
import { type BuiltImage, buildImage, type StageImage } from "./testing/image.ts";
import { checkTree, readWorkspace, treeFiles } from "./testing/image-checks.ts";
import { copyContext, REPO, repoFile, tempDir } from "./testing/image-context.ts";

// infra/Dockerfile and docker-compose.yml, proven without a Docker engine: the image's tree is
// built from a copy of the build context as the Dockerfile and .dockerignore describe it, then
// every compose service is started from it against the test Redis and Postgres.
// image-drift.test.ts feeds the same builder the mistakes it must catch.

const DOCKERFILE = repoFile("infra/Dockerfile");
const COMPOSE = composeServices(repoFile("docker-compose.yml"));
const NODE_VERSION = /^NODE_VERSION=(\S+)$/m.exec(repoFile("sy"))?.[1];
const fromDockerfile = [...COMPOSE.values()].filter((s) => s.build?.dockerfile === "infra/Dockerfile");
const TOKEN = `sy_admin_image_${randomBytes(12).toString("hex")}`;
const API_KEY = `sy_image_key_${randomBytes(8).toString("hex")}`;
const SECRET = `sk_live_planted_${randomBytes(12).toString("hex")}`;

describe("infra/Dockerfile, built without Docker from a copy of the context", () => {
  let tmp: string;
  let context: string;
  let planted: string[];
  let image: BuiltImage;
  let testDb: TestDatabase;
  let prefix: string;
  let dotenv: Record<string, string>;

  beforeAll(async () => {
    tmp = tempDir("image");
    context = join(tmp, "checkout");
    planted = copyContext(context, SECRET);
    testDb = await createTestDatabase("image");
    prefix = uniquePrefix("image");
    // The .env compose reads (env_file and interpolation), and the one the image must not hold.
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      INGEST_PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
      ADMIN_TOKEN: TOKEN,
      APP_API_KEYS: API_KEY,
      STRIPE_SECRET_KEY: SECRET,
      WORKER_CONCURRENCY: "2",
    };
    writeFileSync(
      join(context, ".env"),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(""),
    );
    dotenv = parseDotenv(readFileSync(join(context, ".env"), "utf8"));
    image = buildImage({
      context,
      dockerfile: DOCKERFILE,
      dockerignore: readFileSync(join(context, ".dockerignore"), "utf8"),
      targets: [...new Set(fromDockerfile.map((s) => s.build?.target ?? ""))],
      out: join(tmp, "build"),
    });
  }, 120_000);

  afterAll(async () => {
    await testDb?.drop();
    if (prefix) await deleteKeysWithPrefix(prefix);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const stageOf = (s: ComposeService): StageImage => {
    const stage = image.stages.get(s.build?.target ?? "");
    if (!stage) throw new Error(`${s.name}: no stage ${s.build?.target}`);
    return stage;
  };

  it("follows pnpm's fetch pattern, so no stage lists a package by hand", () => {
    const instructions = parseDockerfile(DOCKERFILE).flatMap((s) => s.instructions);
    const order = instructions.map((i) => `${i.keyword} ${i.args}`);
    const at = (text: string) => order.indexOf(text);
    expect(at("RUN pnpm fetch --prod")).toBeGreaterThan(at("COPY patches/ patches/"));
    expect(at("COPY . .")).toBeGreaterThan(at("RUN pnpm fetch --prod"));
    expect(at("RUN pnpm install --offline --frozen-lockfile --prod")).toBeGreaterThan(at("COPY . ."));
    const packages = readWorkspace(context).packages.filter(Boolean);
    for (const ins of instructions.filter((i) => i.keyword === "COPY" && !i.flags.from)) {
      for (const pkg of packages) expect(ins.args, `line ${ins.line} names ${pkg}`).not.toContain(pkg);
    }
  });

  it("pins its base image to ./sy's Node version, and every stage runs as a non-root user", () => {
    const stages = parseDockerfile(DOCKERFILE);
    for (const stage of stages) {
      if (stages.some((s) => s.name === stage.from)) continue;
      expect(stage.from).toMatch(
        new RegExp(`^node:${NODE_VERSION?.replace(/\./g, "\\.")}-[a-z]+-slim(@sha256:[0-9a-f]{64})?$`),
      );
    }
    for (const service of fromDockerfile) expect(stageOf(service).user, service.name).toBe("node");
  });

  it("holds every workspace package with its manifest and its installed, patched dependencies", () => {
    const { packages, patched } = readWorkspace(context);
    // This packages, and enough of the rest that an empty reading cannot pass.
    expect(packages).toEqual(
      expect.arrayContaining(["packages/env", "packages/sources", "packages/http", "packages/metrics"]),
    );
    expect(packages.length).toBeGreaterThan(15);
    expect(patched.length).toBeGreaterThan(0);
    for (const service of fromDockerfile) expect(checkTree(stageOf(service), context), service.name).toEqual([]);
  });

  it("leaves out .env and everything else git ignores, and keeps .env.example", () => {
    const stage = image.stages.get("ingest") as StageImage;
    const files = treeFiles(stage);
    expect(planted).toEqual(expect.arrayContaining([".env", "node_modules/planted.txt", ".data/planted.txt"]));
    for (const path of [...planted, ".env"]) {
      expect(image.sent, `${path} was sent`).not.toContain(path);
      expect(files, `${path} is in the image`).not.toContain(path);
    }
    expect(files).toContain(".env.example");
    expect(files).toContain("patches/README.md");
    const leaked = files.filter((f) => readFileSync(join(stage.root, stage.workdir, f), "utf8").includes(SECRET));
    expect(leaked).toEqual([]);
  });

  it("starts migrate, then ingest, admin and every worker from the tree as compose runs them; SIGTERM stops each", async () => {
    // Every request has a deadline: one left unanswered fails here, by name, not at the test's timeout.
    const answerWithin = () => AbortSignal.timeout(10_000);
    const composeEnv = (s: ComposeService): Record<string, string> => ({
      PATH: process.env.PATH ?? "",
      ...serviceEnv(s, stageOf(s).env, dotenv),
    });
    const migrate = COMPOSE.get("migrate") as ComposeService;
    const once = startContainer(migrate, stageOf(migrate), composeEnv(migrate));
    await once.waitFor("migrations applied", 30_000);
    expect(
      await new Promise((r) => (once.child.exitCode === null ? once.child.on("exit", r) : r(once.child.exitCode))),
      once.output(),
    ).toBe(0);

    const long = fromDockerfile.filter((s) => s.name !== "migrate");
    expect(long.map((s) => s.name)).toEqual(expect.arrayContaining(["ingest", "admin", ...WORK_QUEUES]));
    // Workers and admin get HEALTH_PORT=3002 from the image and compose, one per container (each
    // has a network of its own); on this one host each gets a free port of its own instead.
    const healthy = long.filter((s) => composeEnv(s).HEALTH_PORT !== undefined);
    expect(healthy.map((s) => s.name).sort()).toEqual(["admin", ...WORK_QUEUES].sort());
    for (const s of healthy) expect(composeEnv(s).HEALTH_PORT, s.name).toBe("3002");
    const healthPorts = new Map<string, string>();
    for (const s of healthy) healthPorts.set(s.name, String(await freePort()));
    const envOf = (s: ComposeService) => {
      const port = healthPorts.get(s.name);
      return { ...composeEnv(s), ...(port ? { HEALTH_PORT: port } : {}) };
    };
    const running = new Map<string, Container>(long.map((s) => [s.name, startContainer(s, stageOf(s), envOf(s))]));
    /** Every long-running service's healthcheck: compose's, then the image's when compose restates it. */
    const checks = () =>
      Promise.all(
        [...running.values()].flatMap((c) => {
          const s = COMPOSE.get(c.name) as ComposeService;
          const forms = s.healthcheck ? (["compose", "image"] as const) : (["image"] as const);
          return forms.map(async (form) => `${c.name} (${form}): ${await c.healthcheck(form)}`);
        }),
      );
    try {
      const ingest = running.get("ingest") as Container;
      const admin = running.get("admin") as Container;
      const workers = WORK_QUEUES.map((q) => running.get(q) as Container);
      expect(ingest.env.REDIS_URL).toBe(TEST_REDIS_URL); // .env, not compose's default, wins
      expect(ingest.env.NODE_ENV).toBe("production");
      const ingestUrl = `http://127.0.0.1:${dotenv.INGEST_PORT}`;
      const adminUrl = `http://127.0.0.1:${dotenv.ADMIN_PORT}`;
      await Promise.all([
        ingest.waitFor("ingest listening"),
        admin.waitFor("admin listening"),
        ...workers.map((w) => w.waitFor("worker started")),
      ]);
      expect((await fetch(`${ingestUrl}/readyz`, { signal: answerWithin() })).status).toBe(200);
      const root = await fetch(`${adminUrl}/`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        redirect: "manual",
        signal: answerWithin(),
      });
      expect(root.status).toBe(302);
      // "worker started" comes before its first readiness check has passed (Redis and Postgres
      // answered within a second): on a busy machine, ready a moment later, as a probe retries.
      for (const [name, port] of healthPorts) {
        let readyz = 0;
        for (const deadline = Date.now() + 10_000; readyz !== 200 && Date.now() < deadline; ) {
          readyz = (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: answerWithin() })).status;
          if (readyz !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        expect(readyz, `${name}'s /readyz on HEALTH_PORT ${port}`).toBe(200);
      }
      const passing = await checks();
      expect(passing).toEqual(passing.map((line) => line.replace(/: .*$/, ": 0")));

      // One event end to end: ingest records and enqueues it, crm-sync processes it, admin reads it.
      const req = appEventRequest({
        payload: { type: "user.signed_up", data: { userId: "img-1", email: "img-1@example.com" } },
        apiKey: API_KEY,
      });
      const posted = await fetch(`${ingestUrl}/v1/events`, {
        method: "POST",
        body: req.body,
        headers: req.headers,
        signal: answerWithin(),
      });
      expect(posted.status).toBe(202);
      const { eventId } = (await posted.json()) as { eventId: string };
      let status = "";
      for (let i = 0; i < 200 && status !== "processed"; i++) {
        const res = await fetch(`${adminUrl}/api/events/${eventId}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
          signal: answerWithin(),
        });
        status = ((await res.json()) as { event?: { status: string } }).event?.status ?? "";
        if (status !== "processed") await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe("processed");
      for (const [name, c] of running) expect(c.child.exitCode, `${name} exited:\n${c.output()}`).toBeNull();
    } finally {
      for (const c of running.values()) await c.stop();
    }
    for (const [name, c] of running) {
      expect(c.child.exitCode, `${name}:\n${c.output()}`).toBe(0);
      expect(c.output(), name).not.toContain('"level":"error"');
    }
    // Honest checks: with the process gone, the same commands fail.
    const failing = await checks();
    expect(failing.length).toBe(long.length + healthy.length);
    for (const line of failing) expect(line).not.toMatch(/: 0$/);
  }, 90_000);
});

describe("docker-compose.yml", () => {
  const dockerfileStages = new Map(parseDockerfile(DOCKERFILE).map((s) => [s.name, s]));
  const imageHealthcheck = (s: ComposeService) =>
    dockerfileStages.get(s.build?.target)?.instructions.find((i) => i.keyword === "HEALTHCHECK")?.args;

  it("runs every Switchyard service from a role target of infra/Dockerfile", () => {
    expect(fromDockerfile.map((s) => s.name).sort()).toEqual(["admin", "ingest", "migrate", ...WORK_QUEUES].sort());
    for (const s of fromDockerfile) {
      expect(dockerfileStages.has(s.build?.target), `${s.name}: target ${s.build?.target}`).toBe(true);
      expect(existsSync(join(REPO, s.command?.at(-1) ?? "missing")), `${s.name}'s command`).toBe(true);
    }
  });

  it("has a healthcheck on every long-running service, the image's and compose's alike, and a grace period on all", () => {
    const imageTest = (s: ComposeService) => {
      const ins = dockerfileStages.get(s.build?.target)?.instructions.find((i) => i.keyword === "HEALTHCHECK");
      return ins && parseHealthcheck(ins);
    };
    const without = [...COMPOSE.values()].filter((s) => !s.healthcheck && imageTest(s)?.test[0] !== "CMD");
    // migrate runs once and exits: nothing to check.
    expect(without.map((s) => s.name)).toEqual(["migrate"]);
    expect(imageHealthcheck(COMPOSE.get("migrate") as ComposeService)).toBe("NONE");
    // Each role's image has one: ingest on INGEST_PORT, admin and the workers on HEALTH_PORT.
    for (const target of ["ingest", "admin", "worker"]) {
      const ins = dockerfileStages.get(target)?.instructions.find((i) => i.keyword === "HEALTHCHECK");
      const check = ins && parseHealthcheck(ins);
      expect(check?.test[0], target).toBe("CMD");
      expect(check?.test.join(" "), target).toContain(target === "ingest" ? "INGEST_PORT" : "HEALTH_PORT");
      expect(check?.test.join(" "), target).toContain("/healthz");
    }
    // Compose restates admin's and the workers' check; it must be the image's, on the port it sets.
    for (const s of fromDockerfile.filter((x) => x.healthcheck)) {
      expect(composeTest(s), s.name).toEqual(imageTest(s)?.test);
      expect(s.environment.HEALTH_PORT, s.name).toBeDefined();
      const options = (imageTest(s) as Healthcheck).options;
      expect(s.healthcheck, s.name).toMatchObject({
        interval: options.interval,
        timeout: options.timeout,
        start_period: options["start-period"],
        retries: Number(options.retries),
      });
    }
    expect(
      fromDockerfile
        .filter((s) => s.healthcheck)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["admin", ...WORK_QUEUES].sort());
    for (const s of COMPOSE.values()) expect(s.stopGracePeriod, s.name).toMatch(/^\d+s$/);
  });

  it("publishes no fixed host port for a service that scales, and admin on loopback only", () => {
    for (const q of WORK_QUEUES) expect(COMPOSE.get(q)?.ports, q).toEqual([]);
    expect(COMPOSE.get("ingest")?.ports).toEqual([
      expect.stringMatching(/^\$\{INGEST_PUBLISH:-\d+\}:\$\{INGEST_PORT:-3000\}$/),
    ]);
    expect(COMPOSE.get("admin")?.ports).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\$\{\w+:-\d+\}:\$\{ADMIN_PORT:-3001\}$/),
    ]);
  });

  it("takes every Switchyard setting from .env: compose's values are defaults .env overrides", () => {
    for (const s of fromDockerfile) {
      expect(s.envFiles, s.name).toContain(".env");
      const fromDotenv = Object.fromEntries(Object.keys(s.environment).map((k) => [k, `from-dotenv-${k}`]));
      expect(serviceEnv(s, {}, fromDotenv), s.name).toMatchObject(fromDotenv);
    }
  });

  it("runs pinned Redis and Postgres images, Redis with maxmemory and noeviction", () => {
    const redis = COMPOSE.get("redis") as ComposeService;
    expect(redis.image).toMatch(/^redis:\d+\.\d+\.\d+-alpine$/);
    expect(COMPOSE.get("postgres")?.image).toMatch(/^postgres:\d+\.\d+-alpine$/);
    expect(redis.command).toEqual(["redis-server", "/usr/local/etc/redis/redis.conf"]);
    expect(redis.raw.volumes).toContain("./infra/redis.conf:/usr/local/etc/redis/redis.conf:ro");
    const conf = repoFile("infra/redis.conf");
    expect(conf).toMatch(/^maxmemory [1-9]\d*(mb|gb)$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
  });
});
