import { randomUUID } from "node:crypto";
import { type Config, loadConfigOrExit } from "@switchyard/config";
import { ROUTES } from "@switchyard/events";
import { type AnySource, SOURCES } from "@switchyard/sources";
import { appEventRequest, type Signed } from "@switchyard/testkit";
import { type Args, closest, didYouMean, UsageError } from "./command.ts";
import { DEFAULT_WHO, SAMPLES, sourceOf, type Who } from "./samples.ts";

const EXIT_CONFIG = 78;
const TIMEOUT_MS = 10_000;
const SOURCE_ORDER = ["stripe", "hubspot", "zendesk", "app"];

const out = (text: string) => process.stdout.write(text);
const fail = (text: string) => process.stderr.write(`sy trigger: ${text}\n`);

/** Every type a sample exists for or a queue is routed, grouped by source. */
function allTypes(): string[] {
  const types = [...new Set([...Object.keys(ROUTES), ...Object.keys(SAMPLES)])];
  const rank = (t: string) => {
    const i = SOURCE_ORDER.indexOf(sourceOf(t));
    return i === -1 ? SOURCE_ORDER.length : i;
  };
  return types.sort((a, b) => rank(a) - rank(b));
}

function listing(): string {
  const types = allTypes();
  const width = Math.max(...types.map((t) => t.length));
  const row = (t: string) => {
    const queues = ROUTES[t]?.join(", ") ?? "recorded, not routed";
    return `  ${t.padEnd(width)}  ${SAMPLES[t] ? queues : `${queues} (no sample yet)`}`;
  };
  return `Types ./sy trigger can send, and the queues each reaches:\n${types.map(row).join("\n")}\n`;
}

function knownType(type: string | undefined): string {
  if (!type) {
    throw new UsageError("name a type, e.g. ./sy trigger stripe.invoice.paid (./sy trigger --list shows them all)");
  }
  if (SAMPLES[type]) return type;
  const names = Object.keys(SAMPLES);
  const bySuffix = names.filter((n) => n.endsWith(`.${type}`));
  const guess = bySuffix.length === 1 ? bySuffix[0] : closest(type, names);
  throw new UsageError(`unknown type "${type}"${didYouMean(guess)} (./sy trigger --list shows them all)`);
}

function baseUrl(given: string | boolean | undefined, fallback: string, flag: string): string {
  const text = typeof given === "string" ? given : fallback;
  try {
    const url = new URL(text);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got "${text}"`);
  }
  return text.replace(/\/+$/, "");
}

function whoFrom(values: Args["values"]): Who {
  const email = typeof values.email === "string" ? values.email : DEFAULT_WHO.email;
  const userId = typeof values.user === "string" ? values.user : DEFAULT_WHO.userId;
  // Checked here: ingest would keep a malformed body as a rejected event, not a sample.
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
    throw new UsageError(`--email must be an email address, got "${email}"`);
  if (!userId.trim() || userId.length > 200) throw new UsageError("--user must be 1-200 characters");
  return { email, userId };
}

interface Signer {
  /** The variable holding the secret(s), and what to put in it. */
  variable: string;
  what: string;
  path: string;
  secrets(config: Config): readonly string[];
  sign(payload: unknown, secret: string, config: Config, ingestUrl: string): Signed;
  /** The provider's id for the event, as the Sending line shows it. */
  idOf(payload: unknown, signed: Signed): string;
}

/** A webhook source's signer, from its descriptor: the variable, route and scheme ingest checks. */
function fromDescriptor(source: AnySource): Signer {
  const path = `/webhooks/${source.name}`;
  return {
    variable: source.secretVar,
    what: `${source.title} webhook signing secret`,
    path,
    secrets: (c) => source.secrets(c),
    sign(payload, secret, config, ingestUrl) {
      const body = JSON.stringify(payload);
      // HubSpot signs the URL it called; behind a proxy ingest checks against INGEST_PUBLIC_URL.
      const url = `${(config.INGEST_PUBLIC_URL ?? ingestUrl).replace(/\/+$/, "")}${path}`;
      return { body, headers: source.sign({ body, secret, url }) };
    },
    idOf(_payload, signed) {
      const parsed = source.parse({
        method: "POST",
        url: path,
        headers: new Headers(signed.headers),
        body: signed.body,
        receivedAt: Date.now(),
      });
      return parsed.ok ? (parsed.events[0]?.sourceEventId ?? "") : "";
    },
  };
}

/** One per source: the registry's, and the app's API key. */
const SIGNERS: Record<string, Signer> = {
  ...Object.fromEntries(SOURCES.map((s) => [s.name, fromDescriptor(s)])),
  app: {
    variable: "APP_API_KEYS",
    what: "app API key for POST /v1/events",
    path: "/v1/events",
    secrets: (c) => c.APP_API_KEYS,
    sign: (payload, apiKey) => appEventRequest({ payload, apiKey, idempotencyKey: `sy-trigger-${randomUUID()}` }),
    idOf: (_payload, signed) => signed.headers["idempotency-key"] ?? "",
  },
};

/** When a real provider API is configured, the workers will call it about ids it has never seen. */
function realApiNote(type: string, config: Config): string | undefined {
  // A refund is applied from the event alone; every other Stripe type is read back first.
  if (type.startsWith("stripe.") && type !== "stripe.charge.refunded" && config.STRIPE_SECRET_KEY) {
    return "STRIPE_SECRET_KEY is set: billing-sync looks this sample's subscription and invoice up in Stripe, which has never seen them";
  }
  if ((type.startsWith("zendesk.") || type === "app.support.requested") && config.ZENDESK_API_TOKEN) {
    return "ZENDESK_API_TOKEN is set: the support workers write this sample's ticket notes to your Zendesk";
  }
  if (type === "app.user.signed_up" && config.HUBSPOT_ACCESS_TOKEN) {
    return "HUBSPOT_ACCESS_TOKEN is set: crm-sync writes this sample's contact to your HubSpot";
  }
  return undefined;
}

/** How to call admin's API with the credentials in the environment, never their values. */
function adminCurl(config: Config): string {
  if (config.ADMIN_TOKEN) return `curl -H "Authorization: Bearer $ADMIN_TOKEN"`;
  if (config.ADMIN_USER) return `curl -u "$ADMIN_USER:$ADMIN_PASSWORD"`;
  return `curl -H "Authorization: Bearer <the development token ./sy start printed>"`;
}

function hintFor(status: number, type: string, variable: string): string | undefined {
  if (status === 404) {
    return `the running Switchyard has no ${variable}, so this source is off: start it with ${variable} set`;
  }
  if (status === 401) return `the running Switchyard refused the signature: is its ${variable} the one set here?`;
  if (status === 400) return `ingest did not accept the ${type} sample; the answer above says why`;
  if (status === 503)
    return "recorded, but the running Switchyard cannot reach Redis; its relay enqueues the event later";
  return undefined;
}

async function post(url: string, signed: Signed): Promise<Response | string> {
  try {
    return await fetch(url, {
      method: "POST",
      body: signed.body,
      headers: signed.headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    if (e.name === "TimeoutError") return `no answer from ${url} within ${TIMEOUT_MS / 1000} s`;
    const origin = new URL(url).origin;
    const code = e.cause?.code ?? e.name;
    return `nothing answers at ${origin} (${code}) — is Switchyard running? Start it with ./sy start, or point --url at it`;
  }
}

export async function runTrigger({ values, positionals }: Args): Promise<number> {
  if (values.list) {
    out(listing());
    return 0;
  }
  const type = knownType(positionals[0]);
  const who = whoFrom(values);
  const config = loadConfigOrExit(process.env, "trigger");
  const ingestUrl = baseUrl(values.url, `http://127.0.0.1:${config.INGEST_PORT}`, "--url");
  const adminUrl = baseUrl(values["admin-url"], `http://127.0.0.1:${config.ADMIN_PORT}`, "--admin-url");
  const source = sourceOf(type);
  if (
    source === "hubspot" &&
    (values.email !== undefined || values.user !== undefined) &&
    type !== "hubspot.contact.propertyChange"
  ) {
    process.stderr.write(
      `note: ${type} names the contact by its HubSpot objectId only; --email and --user do not apply\n`,
    );
  }

  const sample = SAMPLES[type] as (who: Who) => unknown;
  const signer = SIGNERS[source] as Signer;
  const payload = sample(who);
  // A connected account's event (it carries `account`) is signed by the Connect endpoint's secret.
  const connect = source === "stripe" && typeof (payload as { account?: unknown }).account === "string";
  // The newest secret of a rotation comes first (README), and is the one a provider signs with.
  const [secret] = connect ? config.STRIPE_CONNECT_WEBHOOK_SECRET : signer.secrets(config);
  if (!secret) {
    const variable = connect ? "STRIPE_CONNECT_WEBHOOK_SECRET" : signer.variable;
    fail(`${variable} is not set — set it to the ${signer.what} the running Switchyard uses`);
    return EXIT_CONFIG;
  }
  const signed = signer.sign(payload, secret, config, ingestUrl);
  const note = realApiNote(type, config);
  if (note) process.stderr.write(`note: ${note}.\n`);

  const url = `${ingestUrl}${signer.path}`;
  out(`Sending ${type} (${signer.idOf(payload, signed)}) to POST ${url}\n`);
  const res = await post(url, signed);
  if (typeof res === "string") {
    fail(res);
    return 1;
  }
  const text = await res.text();
  out(`${res.status} ${res.statusText} ${text}\n`);
  if (!res.ok) {
    const hint = hintFor(res.status, type, signer.variable);
    if (hint) fail(hint);
    return 1;
  }
  let eventId: string | undefined;
  try {
    eventId = (JSON.parse(text) as { eventId?: string }).eventId;
  } catch {
    // Reported below: a 2xx without an event id is not what ingest answers.
  }
  if (!eventId) {
    fail("ingest answered without an eventId; is --url pointing at Switchyard's ingest?");
    return 1;
  }
  out(`
  Event    ${eventId}${ROUTES[type] ? "" : "  (recorded; no queue takes this type)"}
  Console  ${adminUrl}/console/events/${eventId}
  API      GET ${adminUrl}/api/events/${eventId}
           ${adminCurl(config)} ${adminUrl}/api/events/${eventId}
`);
  return 0;
}
