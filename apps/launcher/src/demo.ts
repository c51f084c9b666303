import { randomBytes } from "node:crypto";
import { adminCredentials } from "@switchyard/admin";
import { createLogger } from "@switchyard/config";
import { count, type Db, schema, sql } from "@switchyard/db";
import { FakeHubspot, FakeOpenAI, FakeStripe, FakeZendesk } from "@switchyard/testkit";
import { parseDirect } from "./cli/command.ts";
import { demo } from "./cli/demo.ts";
import { exitIfPortInUse, portProblem } from "./cli/ports.ts";
import { sendDemoDay } from "./demo-traffic.ts";
import { demoRunsOnce, loadDemoEnv } from "./env.ts";
import { launch } from "./launch.ts";
import { requireRedis } from "./redis-check.ts";

if (import.meta.main) parseDirect(demo);
const secret = (prefix: string) => `${prefix}${randomBytes(18).toString("base64url")}`;

async function settled(db: Db, timeoutMs = 60_000): Promise<boolean> {
  const start = Date.now();
  let quiet = 0;
  while (Date.now() - start < timeoutMs) {
    const [row] = await db
      .select({ n: count() })
      .from(schema.events)
      .where(sql`${schema.events.status} in ('received', 'enqueued')`);
    quiet = row?.n === 0 ? quiet + 1 : 0;
    if (quiet >= 10) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function tally(db: Db) {
  const [customers] = await db.select({ n: count() }).from(schema.customers);
  const [reviews] = await db.select({ n: count() }).from(schema.reviewItems);
  const failures = await db
    .select({ reason: schema.failures.reason, n: count() })
    .from(schema.failures)
    .groupBy(schema.failures.reason);
  return { customers: customers?.n ?? 0, reviews: reviews?.n ?? 0, failures };
}

const [stripe, hubspot, zendesk, openai] = await Promise.all([
  FakeStripe.start({ secretKey: secret("sk_test_demo_") }),
  FakeHubspot.start({ token: secret("pat-demo-") }),
  FakeZendesk.start({ email: "demo-bot@example.com", apiToken: secret("zd-demo-") }),
  FakeOpenAI.start({ apiKey: secret("sk-demo-") }),
]);
const keys = {
  stripe: secret("whsec_demo_"),
  zendesk: secret("zd-signing-"),
  app: secret("sy_demo_"),
  admin: secret("sy_admin_"),
};
const config = loadDemoEnv({
  STRIPE_WEBHOOK_SECRET: keys.stripe,
  STRIPE_SECRET_KEY: stripe.secretKey,
  STRIPE_API_BASE: stripe.url,
  HUBSPOT_ACCESS_TOKEN: hubspot.token,
  HUBSPOT_API_BASE: hubspot.url,
  ZENDESK_WEBHOOK_SECRET: keys.zendesk,
  ZENDESK_API_BASE: zendesk.url,
  ZENDESK_EMAIL: zendesk.email,
  ZENDESK_API_TOKEN: zendesk.apiToken,
  OPENAI_API_KEY: openai.apiKey,
  OPENAI_BASE_URL: `${openai.url}/v1`,
  APP_API_KEYS: keys.app,
  ADMIN_TOKEN: keys.admin,
  RETRY_BACKOFF_MS: "500",
  LOG_LEVEL: "warn",
});
const problem = (await requireRedis(config.REDIS_URL)) ?? (await portProblem(config));
if (problem) {
  process.stderr.write(`${problem.startsWith("switchyard:") ? "" : "switchyard: "}${problem}\n`);
  process.exit(1);
}
const creds = adminCredentials(config);
if (!creds.ok) throw new Error(creds.message);
const running = await launch(config, createLogger({ name: "demo", level: config.LOG_LEVEL }), creds.credentials).catch(
  exitIfPortInUse,
);
const ingestUrl = `http://127.0.0.1:${running.ingestPort}`;
const adminUrl = `http://127.0.0.1:${running.adminPort}`;

const sent = await sendDemoDay({
  ingestUrl,
  stripeSecret: keys.stripe,
  zendeskSecret: keys.zendesk,
  appKey: keys.app,
  stripe,
  hubspot,
  zendesk,
});
const done = await settled(running.dbHandle.db);
const t = await tally(running.dbHandle.db);
const notes = [...zendesk.comments.values()].flat().filter((c) => !c.public).length;

// A browser cannot send the bearer token; it signs in at the console's sign-in page.
const browser = creds.generated?.password
  ? `open ${adminUrl}/console, sign in as ${creds.generated.user} with password ${creds.generated.password} (made up for this run)`
  : `open ${adminUrl}/console, sign in as ${config.ADMIN_USER} with ADMIN_PASSWORD`;
process.stdout.write(`
Switchyard demo — ${sent} signed events sent ${done ? "and processed" : "(still processing)"}.
  customers: ${t.customers}   HubSpot contacts: ${hubspot.contacts.size}   Zendesk internal notes: ${notes}   human-review items: ${t.reviews}
  model calls: ${openai.received.length} (OpenAI fake; the policy still sends every privileged request to a person)
  failures: ${t.failures.map((f) => `${f.reason} ${f.n}`).join(", ") || "none"}

Where to look:
  Console       ${adminUrl}/console         (overview, linus@example.com's timeline, failures)
  Bull Board    ${adminUrl}/queues          (the failed.rate_limited job has a Retry button)
  Failures      curl -H "Authorization: Bearer ${keys.admin}" ${adminUrl}/api/failures
  Metrics       curl -H "Authorization: Bearer ${keys.admin}" ${adminUrl}/metrics   (Prometheus text)
  A customer    curl -H "Authorization: Bearer ${keys.admin}" ${adminUrl}/api/customers/linus@example.com/timeline
  Ingest        ${ingestUrl}/readyz
  Admin token   ${keys.admin}
  In a browser  ${browser}
`);

async function stop(code: number) {
  await running.close();
  await Promise.all([stripe.close(), hubspot.close(), zendesk.close(), openai.close()]);
  process.exit(code);
}
if (demoRunsOnce()) await stop(done ? 0 : 1);
process.stdout.write("Running until Ctrl-C.\n");
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop(0));
