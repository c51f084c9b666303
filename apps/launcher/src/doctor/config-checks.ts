import { adminCredentials } from "@switchyard/admin";
import type { Config } from "@switchyard/config";
import { routedTypesOf, SOURCES, startChecks } from "@switchyard/sources";
import { type Check, fail, ok, warn } from "./check.ts";

/** Values that are placeholders, not credentials: examples, defaults, the obvious guesses. */
const PLACEHOLDERS = /^(change[-_]?me.*|changeit|admin|password|secret|switchyard|example.*|test|x+|0+|123456.*)$/i;

/** Each configured key has the shape its provider issues. */
function keyShapes(config: Config): Check[] {
  const checks: Check[] = [];
  const bad = (name: string, shape: string) =>
    checks.push(fail(`${name} is not shaped like ${shape}`, `paste the value again from the provider's dashboard`));
  if (config.STRIPE_WEBHOOK_SECRET.some((s) => !s.startsWith("whsec_")))
    bad("STRIPE_WEBHOOK_SECRET", "a Stripe signing secret (whsec_…)");
  if (config.STRIPE_SECRET_KEY && !/^(sk|rk)_(test|live)_\w+$/.test(config.STRIPE_SECRET_KEY))
    bad("STRIPE_SECRET_KEY", "a Stripe secret or restricted key (sk_live_…, rk_live_…)");
  if (config.OPENAI_API_KEY && !config.OPENAI_API_KEY.startsWith("sk-"))
    checks.push(warn("OPENAI_API_KEY does not start with sk-", "check it is an OpenAI API key (or your gateway's)"));
  if (config.ZENDESK_API_BASE && !(config.ZENDESK_EMAIL && config.ZENDESK_API_TOKEN))
    checks.push(fail("ZENDESK_API_BASE is set without ZENDESK_EMAIL and ZENDESK_API_TOKEN", "set all three, or none"));
  return checks.length > 0 ? checks : [ok("configuration parses and every configured secret is well formed")];
}

/** Stripe's key mode against NODE_ENV: a test key in production charges nobody; a live key in development charges real cards. */
function stripeMode(config: Config): Check[] {
  const key = config.STRIPE_SECRET_KEY;
  if (!key) return [];
  const test = /^(sk|rk)_test_/.test(key);
  if (config.NODE_ENV === "production" && test)
    return [
      fail(
        "STRIPE_SECRET_KEY is a test-mode key (sk_test_…) under NODE_ENV=production",
        "use the live key (sk_live_…, or a restricted rk_live_…) from Stripe → Developers → API keys, with the live endpoint's whsec_ in STRIPE_WEBHOOK_SECRET",
      ),
    ];
  if (config.NODE_ENV === "development" && !test)
    return [
      warn(
        "STRIPE_SECRET_KEY is a live key under NODE_ENV=development",
        "use a test-mode key (sk_test_…) while developing; live keys belong to production",
      ),
    ];
  return [ok(`STRIPE_SECRET_KEY is a ${test ? "test" : "live"}-mode key, as NODE_ENV=${config.NODE_ENV} expects`)];
}

/** Which sources are on, the URL to paste into each provider's dashboard and the types to subscribe to. */
function sourceChecks(config: Config): Check[] {
  const base = (config.INGEST_PUBLIC_URL ?? `http://<this host>:${config.INGEST_PORT}`).replace(/\/$/, "");
  const checked = startChecks(config);
  const checks: Check[] = [];
  for (const s of SOURCES.filter((s) => checked.enabled.includes(s.name))) {
    const types = routedTypesOf(s.name);
    checks.push(
      ok(`${s.title} enabled (${s.secretVar})`, [
        `URL: ${base}/webhooks/${s.name}`,
        `subscribe to: ${types.length > 0 ? types.join(", ") : "(none routed: events are recorded only)"}`,
        `where: ${s.setup}`,
      ]),
    );
  }
  for (const name of config.webhookSources.keys())
    checks.push(
      ok(`${name} enabled (Standard Webhooks, WEBHOOK_SECRET_${name.toUpperCase()})`, [
        `URL: ${base}/webhooks/${name}`,
      ]),
    );
  if (config.APP_API_KEYS.length > 0) checks.push(ok(`your app enabled (APP_API_KEYS)`, [`URL: ${base}/v1/events`]));
  if (checks.length === 0)
    checks.push(
      warn(
        "no source is enabled: every webhook and POST /v1/events answers 404",
        "set each provider's signing secret (STRIPE_WEBHOOK_SECRET, HUBSPOT_CLIENT_SECRET, ZENDESK_WEBHOOK_SECRET) and APP_API_KEYS",
      ),
    );
  for (const refusal of checked.refusals)
    checks.push(fail("HubSpot is configured without INGEST_PUBLIC_URL: ingest will refuse to start", refusal));
  for (const warning of checked.warnings) checks.push(warn(warning, "set INGEST_PUBLIC_URL to the URL HubSpot calls"));
  if (!config.INGEST_PUBLIC_URL && config.NODE_ENV === "production" && checked.refusals.length === 0)
    checks.push(
      warn(
        "INGEST_PUBLIC_URL is not set: the URLs above are guesses",
        "set INGEST_PUBLIC_URL to the public URL providers call (https://hooks.example.com)",
      ),
    );
  return checks;
}

function adminChecks(config: Config): Check[] {
  const creds = adminCredentials(config);
  if (!creds.ok) return [fail(`admin credentials: ${creds.message}`, "set them in .env (openssl rand -hex 32)")];
  const placeholders = (["ADMIN_TOKEN", "ADMIN_PASSWORD"] as const).filter((name) => {
    const value = config[name];
    return value !== undefined && (PLACEHOLDERS.test(value) || value === config.ADMIN_USER);
  });
  if (placeholders.length > 0)
    return [
      fail(
        `${placeholders.join(" and ")} ${placeholders.length > 1 ? "are" : "is"} a placeholder or default value`,
        "pick a value nobody can guess (openssl rand -hex 32)",
      ),
    ];
  if (config.NODE_ENV === "development" && creds.generated && Object.keys(creds.generated).length > 0)
    return [
      warn(
        "admin credentials are made up for each development run",
        "set ADMIN_TOKEN, or ADMIN_USER and ADMIN_PASSWORD, before going to production",
      ),
    ];
  return [ok("admin credentials are set and are not defaults")];
}

/** Everything that can be judged from the configuration alone, with no connection made. */
export function configChecks(config: Config): Check[] {
  return [...keyShapes(config), ...stripeMode(config), ...sourceChecks(config), ...adminChecks(config)];
}
