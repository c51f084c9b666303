import { spawn } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

import { createHmac, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createTestDatabase, deleteKeysWithPrefix, freePort, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import autocannon from "autocannon";

const root = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));
const SECRET = "whsec_prof";
const db = await createTestDatabase("prof");
const prefix = uniquePrefix("prof");
const env = {
  PATH: process.env.PATH ?? "",
  DATABASE_URL: db.url,
  REDIS_URL: TEST_REDIS_URL,
  QUEUE_PREFIX: prefix,
  STRIPE_WEBHOOK_SECRET: SECRET,
  APP_API_KEYS: "sy_prof_key_1234567890abcdef",
  LOG_LEVEL: "warn",
};
await new Promise((r) =>
  spawn(process.execPath, [root("apps/launcher/src/migrate.ts")], { env, stdio: "inherit" }).once("exit", r),
);
const port = await freePort();
const prof = process.env.PROF === "1" ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : [];
const child = spawn(process.execPath, [...prof, root("apps/ingest/src/main.ts")], {
  env: { ...env, INGEST_PORT: String(port), LOG_LEVEL: "info" },
  stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
child.stdout.on("data", (d) => {
  out += d;
});
while (!out.includes("ingest listening")) await new Promise((r) => setTimeout(r, 50));
function make() {
  const id = `evt_${randomUUID().replaceAll("-", "")}`;
  const body = JSON.stringify({
    id,
    object: "event",
    type: "invoice.paid",
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `in_${id}`, customer: "cus_bench", amount_paid: 4900, currency: "usd" } },
  });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex");
  return { body, headers: { "content-type": "application/json", "stripe-signature": `t=${t},v1=${v1}` } };
}
const cpu = () => {
  const f = require("node:fs").readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
};
const run = async (o: object) => {
  const c0 = cpu();
  const r = await autocannon({
    url,
    connections: 64,
    duration: Number(process.env.DUR ?? 8),
    ...o,
    requests: [{ method: "POST", setupRequest: (req) => ({ ...req, ...make() }) }],
  });
  process.stdout.write(
    `${JSON.stringify({
      rps: Math.round(r.requests.average),
      cpuMsPerReq: ((cpu() - c0) / r.requests.total).toFixed(3),
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
    })}\n`,
  );
};
let url = `http://127.0.0.1:${port}/webhooks/stripe`;
if (process.env.BASELINE) {
  const b = spawn(
    process.execPath,
    [
      root("apps/bench/src/baseline.ts"),
      JSON.stringify({ databaseUrl: db.url, redisUrl: TEST_REDIS_URL, secret: SECRET, key: `${prefix}:baseline` }),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let bo = "";
  b.stdout.on("data", (d) => {
    bo += d;
  });
  while (!bo.includes("baseline listening")) await new Promise((r) => setTimeout(r, 50));
  url = `http://127.0.0.1:${/baseline listening (\d+)/.exec(bo)?.[1]}`;
  child.kill("SIGTERM");
  Object.defineProperty(child, "pid", { value: b.pid });
  process.on("exit", () => b.kill());
}
await run({ duration: 2 });
await run({});
if (process.env.AT1000) await run({ overallRate: 1000 });
child.kill("SIGTERM");
await new Promise((r) => setTimeout(r, 1000));
await db.drop().catch(() => {});
await deleteKeysWithPrefix(prefix);
process.exit(0);
