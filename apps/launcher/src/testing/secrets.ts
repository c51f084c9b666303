import { secretValues } from "@switchyard/config";
import { REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import postgres from "postgres";
import { KEYS, type System } from "./system.ts";

/**
 * Known values for every secret-bearing variable; the whole system runs on them, the traffic
 * of secrets.test.ts goes through every path that handles them, and then every log line,
 * response body, recorded failure, audit entry, alert, database row and queued job is searched
 * for them.
 */
export const S = {
  app: "sy_secrets_app_key_7f3a9c1e5b2d",
  adminToken: "sy_admin_secrets_token_4d8e2a6c0f1b",
  adminUser: "ops-lead",
  adminPassword: "battery-staple-horse-9c1e7d",
  hubspotToken: "pat-na1-7b2d9e4f-secret-hubspot-token",
  hubspotClientSecret: "hubspot-client-secret-3e8a1f6b",
  openaiKey: "sk-proj-secret-openai-key-5a7c9e1b3d",
  stripeKey: "sk_test_secret_stripe_key_2b4d6f8a0c",
  zendeskEmail: "bot@example.com",
  zendeskToken: "zd-api-token-secret-6e8a0c2e4a",
  generic: `whsec_${Buffer.from("secrets-test-generic-key-0123456789").toString("base64")}`,
  alertPath: "/services/T0SECRET/B0SECRET/xoxSecretHookToken9f8e7d6c",
};
export const b64 = (s: string) => Buffer.from(s).toString("base64");
const b64url = (s: string) => Buffer.from(s).toString("base64url");

/** Every value that must never appear, by name: the config's own list plus the known forms. */
export function secretsToFind(sys: System, alertsUrl: string): Map<string, string> {
  const found = new Map<string, string>([
    ["STRIPE_WEBHOOK_SECRET", KEYS.stripe],
    ["ZENDESK_WEBHOOK_SECRET", KEYS.zendesk],
    ["HUBSPOT_CLIENT_SECRET", S.hubspotClientSecret],
    ["WEBHOOK_SECRET_ACME", S.generic],
    ["APP_API_KEYS", S.app],
    ["ADMIN_TOKEN", S.adminToken],
    ["ADMIN_PASSWORD", S.adminPassword],
    ["HUBSPOT_ACCESS_TOKEN", S.hubspotToken],
    ["OPENAI_API_KEY", S.openaiKey],
    ["STRIPE_SECRET_KEY", S.stripeKey],
    ["ZENDESK_API_TOKEN", S.zendeskToken],
    ["ALERT_WEBHOOK_URL", `${alertsUrl}${S.alertPath}`],
    ["ALERT_WEBHOOK_URL path token", S.alertPath.split("/").at(-1) ?? ""],
    ["admin basic auth (base64)", b64(`${S.adminUser}:${S.adminPassword}`)],
    ["admin basic auth (base64url)", b64url(`${S.adminUser}:${S.adminPassword}`)],
    ["admin password (base64)", b64(S.adminPassword)],
    ["zendesk basic auth (base64)", b64(`${S.zendeskEmail}/token:${S.zendeskToken}`)],
    ["whsec key bytes (base64 body)", S.generic.replace(/^whsec_/, "")],
  ]);
  for (const value of secretValues(sys.config)) {
    if (![...found.values()].includes(value)) found.set(`secretValues() entry ${value.slice(0, 4)}…`, value);
  }
  return found;
}

export interface Haystack {
  where: string;
  text: string;
}

/** Beyond the brief's list: every row of every table, and every job (data, failed reason, stack). */
export async function everythingStored(sys: System): Promise<Haystack[]> {
  const haystacks: Haystack[] = [];
  const pg = postgres(sys.config.DATABASE_URL ?? "", { max: 1, onnotice: () => {} });
  try {
    const tables = await pg<{ name: string }[]>`
      select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE'`;
    for (const { name } of tables) {
      const rows = await pg.unsafe<{ j: string }[]>(`select row_to_json(t)::text as j from "${name}" t`);
      haystacks.push(...rows.map((r, i) => ({ where: `table ${name} row ${i}`, text: r.j })));
    }
  } finally {
    await pg.end();
  }
  const queues = [...WORK_QUEUES.map((q) => sys.registry.get(q)), ...REASON_CODES.map((r) => sys.registry.failure(r))];
  for (const queue of queues) {
    const jobs = await queue.getJobs(["completed", "failed", "waiting", "delayed", "active", "prioritized"]);
    for (const job of jobs.filter(Boolean)) {
      const text = JSON.stringify(job.asJSON());
      // Job data, failedReason and stacktrace: Bull Board serves all of them.
      haystacks.push({ where: `job ${queue.name}/${job.id}`, text });
    }
  }
  return haystacks;
}

/** Each secret found in a haystack, with its surroundings (the secret itself masked). */
export function leaksIn(haystacks: Haystack[], secrets: Map<string, string>): string[] {
  const leaks: string[] = [];
  for (const { where, text } of haystacks) {
    for (const [name, value] of secrets) {
      if (value && text.includes(value)) leaks.push(`${name} in ${where}: …${excerpt(text, value)}…`);
    }
  }
  return leaks;
}

function excerpt(text: string, value: string): string {
  const at = text.indexOf(value);
  return text.slice(Math.max(0, at - 80), at + value.length + 20).replaceAll(value, "<SECRET>");
}
