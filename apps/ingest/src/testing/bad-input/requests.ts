import { createHmac } from "node:crypto";
import { signStripeBody } from "@switchyard/testkit";
import { ERROR_STATUS, type ErrorCode } from "../../errors.ts";
import { SECRETS } from "../harness.ts";

/** Where each source posts, what a case is, seeded randomness and signers over raw bodies: one copy for every theme. */

export const BASE = "http://ingest.test";
export const SEED = 0x5eed_cafe;

export type Source = "stripe" | "hubspot" | "zendesk" | "acme" | "app";
export const SOURCES: Source[] = ["stripe", "hubspot", "zendesk", "acme", "app"];
export const WEBHOOK_SOURCES: Exclude<Source, "app">[] = ["stripe", "hubspot", "zendesk", "acme"];
export const PATH: Record<Source, string> = {
  stripe: "/webhooks/stripe",
  hubspot: "/webhooks/hubspot",
  zendesk: "/webhooks/zendesk",
  acme: "/webhooks/acme",
  app: "/v1/events",
};
/** The header that carries each source's signature (or key). */
export const SIG_HEADER: Record<Source, string> = {
  stripe: "stripe-signature",
  hubspot: "x-hubspot-signature-v3",
  zendesk: "x-zendesk-webhook-signature",
  acme: "webhook-signature",
  app: "authorization",
};

export const KNOWN_4XX = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((c) => ERROR_STATUS[c] < 500);

export type HeaderList = Record<string, string> | [string, string][];

export interface Case {
  category: string;
  label: string;
  method: string;
  path: string;
  headers: HeaderList;
  body?: string | Uint8Array;
  /** Carries valid authentication: may leave rows, but only `rejected` ones. */
  auth: boolean;
  /** Error codes this request may answer with. */
  codes: ErrorCode[];
  /** Edge probes only: a 2xx is as good as a 4xx (the payload is valid, just hostile). */
  allow2xx?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rng(seed: number) {
  const next = mulberry32(seed);
  const int = (n: number) => Math.floor(next() * n);
  const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
  const string = (len: number, alphabet = ALNUM) => {
    let out = "";
    for (let i = 0; i < len; i++) out += alphabet[int(alphabet.length)];
    return out;
  };
  return {
    int,
    between: (lo: number, hi: number) => lo + int(hi - lo + 1),
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    id: (prefix: string) => `${prefix}_${string(16)}`,
    string,
    /** Printable ASCII with no leading/trailing space (fetch would trim it). */
    printable: (len: number) => `x${string(Math.max(0, len - 2), PRINTABLE)}x`,
    base64: (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => int(256))).toString("base64"),
    hex: (bytes: number) => Buffer.from(Array.from({ length: bytes }, () => int(256))).toString("hex"),
  };
}
export type Rng = ReturnType<typeof rng>;

// ---------------------------------------------------------------------------------------------
// Signers over raw bodies (the testkit ones sign JSON.stringify(payload))

export const nowS = () => Math.floor(Date.now() / 1000);
export const MIN = 60;

export const hmac = (key: string | Buffer, content: string, enc: "base64" | "hex" = "base64") =>
  createHmac("sha256", key).update(content).digest(enc);

export function stripeHeaders(body: string, opts: { secret?: string; t?: number } = {}): Record<string, string> {
  const signed = signStripeBody({ body, secret: opts.secret ?? SECRETS.stripe, timestamp: opts.t ?? nowS() });
  return { "stripe-signature": signed.headers["stripe-signature"] ?? "" };
}

export function hubspotHeaders(
  body: string,
  opts: { secret?: string; tsMs?: string; uri?: string; method?: string } = {},
): Record<string, string> {
  const ts = opts.tsMs ?? String(Date.now());
  const uri = opts.uri ?? `${BASE}${PATH.hubspot}`;
  return {
    "x-hubspot-signature-v3": hmac(opts.secret ?? SECRETS.hubspot, `${opts.method ?? "POST"}${uri}${body}${ts}`),
    "x-hubspot-request-timestamp": ts,
  };
}

export function zendeskHeaders(body: string, opts: { secret?: string; ts?: string } = {}): Record<string, string> {
  const ts = opts.ts ?? new Date().toISOString();
  return {
    "x-zendesk-webhook-signature": hmac(opts.secret ?? SECRETS.zendesk, `${ts}${body}`),
    "x-zendesk-webhook-signature-timestamp": ts,
  };
}

const whsecKey = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ""), "base64");

export function standardHeaders(
  body: string,
  opts: { secret?: string; id?: string; ts?: string } = {},
): Record<string, string> {
  const id = opts.id ?? "msg_default";
  const ts = opts.ts ?? String(nowS());
  return {
    "webhook-id": id,
    "webhook-timestamp": ts,
    "webhook-signature": `v1,${hmac(whsecKey(opts.secret ?? SECRETS.generic), `${id}.${ts}.${body}`)}`,
  };
}

/** What every section of the generator draws from and adds to. */
export interface Gen {
  r: Rng;
  cases: Case[];
  json: { "content-type": string };
  add(c: Omit<Case, "method"> & { method?: string }): void;
  /** A request without valid authentication: only a 401 will do. */
  unauth(source: Source, category: string, label: string, headers: HeaderList, body?: string | Uint8Array): void;
  /** A correctly signed request whose body is malformed: a 400, and at most a `rejected` row. */
  signedBad(source: Source, category: string, label: string, body: string, extra?: HeaderList): void;
}
