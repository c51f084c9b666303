/**
 * What a model wrote, made safe to show a person or a customer: card numbers, secrets and links
 * that could lead anywhere are removed, and a draft that promises what only a person may grant is
 * held for review. A model can be talked into repeating anything a customer pasted, so this runs
 * on every draft and summary whatever the classifier.
 */
import { normalizeText } from "./privileged-words.ts";

export type Removal = "card_number" | "secret" | "link";

export interface SanitizedText {
  text: string;
  /** What was taken out, once per occurrence, in order of kind. */
  removed: Removal[];
}

export interface AiOutputPolicy {
  /** Domains whose http(s) links may stay (a subdomain of one counts); every other link goes. */
  allowedLinkDomains: readonly string[];
}

const ZERO_WIDTH = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD]/g;
const MAX_TEXT = 4_000;

/** Prefixes of credentials whose shape is public: Stripe, OpenAI, GitHub, Slack, AWS, Google, HubSpot, npm, GitLab. */
const KNOWN_SECRETS =
  /\b(?:(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9+/=]{8,}|sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|pat-(?:na|eu)\d-[0-9a-f-]{20,}|npm_[A-Za-z0-9]{30,}|glpat-[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/** A word that may be a credential nobody announced: long, and no vocabulary of a language. */
const TOKEN = /[A-Za-z0-9_+/=-]{24,}/g;
/** Stripe's object ids name a record, not a credential: support needs them (`evt_`, `cus_`, `ch_`, ...). */
const STRIPE_OBJECT_ID = /^(?:evt|cus|in|ch|pi|py|sub|si|price|prod|cs|re|dp|txn|pm|seti|il|ii|po|tr)_[A-Za-z0-9]+$/;

/** 13 digits or more, optionally in groups split by one space or hyphen (how cards are written). */
const CARD_CANDIDATE = /(?<![\d-])\d(?:[ -]?\d){12,}/g;

const SCHEME_LINK =
  /\b(?:javascript|vbscript|livescript|data|file|blob|about|ftp|mailto|tel|sms|intent|jar|view-source|chrome|ws|wss):\S+|\b[a-z][a-z0-9+.-]*:\/\/\S+|(?<![\w@.])www\.[^\s/]+\S*/gi;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

/**
 * A run of digit groups may hold a card beside other numbers ("4242 4242 4242 4242 12 34", an
 * expiry after it): every span of whole groups with 13 to 19 digits is tried, longest first.
 */
function removeCards(run: string): { text: string; count: number } {
  const tokens = run.split(/([ -])/);
  const groups = tokens.filter((_, i) => i % 2 === 0);
  const out: string[] = [];
  let count = 0;
  let i = 0;
  while (i < groups.length) {
    let end = 0;
    let digits = "";
    for (let j = i; j < groups.length && digits.length < 19; j++) {
      digits += groups[j];
      if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) end = j + 1;
    }
    if (i > 0) out.push(tokens[2 * i - 1] as string);
    if (end) {
      out.push("[card number removed]");
      count++;
      i = end;
    } else {
      out.push(groups[i] as string);
      i++;
    }
  }
  return { text: count ? out.join("") : run, count };
}

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / s.length) * Math.log2(n / s.length);
  return bits;
}

/**
 * Mixed letters and digits with more than 4 bits a character: a hex digest or a UUID (at most 4)
 * stays, as do words and ids that repeat their alphabet; a random key of that length does not.
 */
function looksLikeSecret(token: string): boolean {
  if (!/[A-Za-z]/.test(token) || !/\d/.test(token) || STRIPE_OBJECT_ID.test(token)) return false;
  if (/^[0-9a-f-]+$/i.test(token)) return false;
  return entropy(token) > 4;
}

function allowedHost(host: string, domains: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return domains.some((d) => {
    const domain = d.toLowerCase().replace(/^\.+|\.$/g, "");
    return domain.length > 0 && (h === domain || h.endsWith(`.${domain}`));
  });
}

/** Punctuation that ends a sentence is not part of the link before it. */
function splitTrailing(link: string): [string, string] {
  const m = /[).,;:!?'"\]}>]+$/.exec(link);
  return m ? [link.slice(0, m.index), m[0]] : [link, ""];
}

function keepLink(link: string, policy: AiOutputPolicy): boolean {
  const candidate = /^www\./i.test(link) ? `https://${link}` : link;
  if (!/^https?:\/\//i.test(candidate)) return false;
  try {
    const url = new URL(candidate);
    // A user part (`https://ours.com@theirs.com`) hides where the link goes.
    if (url.username || url.password) return false;
    return allowedHost(url.hostname, policy.allowedLinkDomains);
  } catch {
    return false;
  }
}

/** The text with card numbers (Luhn-checked), secrets and disallowed links replaced by a marker. */
export function sanitizeAiText(input: string, policy: AiOutputPolicy): SanitizedText {
  const removed: Removal[] = [];
  const drop = (kind: Removal, marker: string) => () => {
    removed.push(kind);
    return marker;
  };
  let text = input
    .slice(0, 2 * MAX_TEXT)
    // `&#106;avascript:` is a link once something renders the text as HTML.
    .replace(/&#x([0-9a-f]{1,6});?|&#(\d{1,7});?/gi, (m, hex: string | undefined, dec: string | undefined) => {
      const code = hex ? Number.parseInt(hex, 16) : Number(dec);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    })
    .replace(/&colon;/gi, ":")
    .normalize("NFKC")
    .replace(ZERO_WIDTH, "")
    // Control characters other than tab and line breaks.
    .replace(/(?![\t\n\r])\p{Cc}/gu, "")
    .replace(/<[^>]*>/g, "");
  text = text.replace(PRIVATE_KEY, drop("secret", "[secret removed]"));
  text = text.replace(KNOWN_SECRETS, drop("secret", "[secret removed]"));
  text = text.replace(SCHEME_LINK, (match) => {
    const [link] = splitTrailing(match);
    if (keepLink(link, policy)) return match;
    removed.push("link");
    // Brackets may close the link's own code (`alert(1)`); only sentence punctuation stays.
    return `[link removed]${/[.,;!?]+$/.exec(match)?.[0] ?? ""}`;
  });
  text = text.replace(CARD_CANDIDATE, (match) => {
    const out = removeCards(match);
    for (let i = 0; i < out.count; i++) removed.push("card_number");
    return out.text;
  });
  text = text.replace(TOKEN, (token) => {
    if (!looksLikeSecret(token)) return token;
    removed.push("secret");
    return "[secret removed]";
  });
  const order: Removal[] = ["card_number", "secret", "link"];
  removed.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { text: text.slice(0, MAX_TEXT), removed };
}

/**
 * A reply claiming a privileged action was done or will be ("I have refunded you", "your plan
 * has been upgraded", "je vais annuler"), in the languages the privileged-words policy reads.
 * Saying that a person will look at a request is not a promise.
 */
const PROMISES: [kind: string, words: RegExp][] = [
  [
    "refund",
    /\b(refunded|reimbursed|(refund|money|reimbursement)\b.{0,25}\b(has been|have been|was|is|will be)\b.{0,15}\b(issued|processed|sent|approved|returned|completed|complete|done|on (its|the) way|credited)|(issued|processed|approved|sent|initiated|made)\b.{0,15}\brefund|(i|we)('ll| will| am going to| are going to| can) (now )?(refund|reimburse|give you (your|the) money back)|reembolsad\w*|(hemos|he) (devuelto|reembolsado)|rembourse\b|remboursee?s?\b|(avons|ai) rembours\w*|(ruck)?erstattet|zuruckerstattet|rimborsat\w*)/,
  ],
  [
    "plan_change",
    /\b(upgraded|downgraded|(plan|subscription|account)\b.{0,25}\b(has been|have been|was|is now|will be)\b.{0,15}\b(changed|switched|moved|upgraded|downgraded)|(switched|moved|changed) (you|your (plan|account|subscription))|credit\b.{0,20}\b(has been|was|will be) (applied|added|issued)|(applied|added|issued)\b.{0,20}\bcredit|(i|we)('ll| will| am going to| are going to) (now )?(upgrade|downgrade|switch your plan|apply (a|the) credit)|actualizad\w* (a|al) plan|mis a niveau|(hochgestuft|herabgestuft|upgegradet|umgestellt)|aggiornat\w* (al|il) piano)/,
  ],
  [
    "cancellation",
    /\b(cancell?ed|terminated (your|the)|ended your (subscription|plan|membership)|(i|we)('ll| will| am going to| are going to) (now )?(cancel|terminate)|cancelad\w*|annulee?s?\b|resiliee?s?\b|(gekundigt|storniert)|annullat\w*|disdett\w*)/,
  ],
  [
    "account_deletion",
    /\b((deleted|erased|removed|wiped) (your|the|all (of )?your) (account|data|profile)|(account|data|profile)\b.{0,20}\b(has been|have been|was|were|will be) (deleted|erased|removed|wiped)|(i|we)('ll| will| am going to| are going to) (now )?(delete|erase) your|eliminad\w*|borrad\w*|supprimee?s?\b|geloscht|eliminat\w*)/,
  ],
];

/** The privileged actions `text` claims were done or promises to do, by kind. */
export function promisedActions(text: string): string[] {
  const v = normalizeText(text).replace(/[\u2018\u2019]/g, "'");
  return PROMISES.filter(([, re]) => re.test(v)).map(([kind]) => kind);
}

export interface CheckedDraft extends SanitizedText {
  /** Privileged actions the draft promises: a person must read it before anyone sends it. */
  promises: string[];
  ready: boolean;
}

/** A draft made safe, and whether it may be attached as ready or must wait for a person. */
export function checkDraft(draft: string, policy: AiOutputPolicy): CheckedDraft {
  const sanitized = sanitizeAiText(draft, policy);
  const promises = promisedActions(sanitized.text);
  return { ...sanitized, promises, ready: promises.length === 0 };
}

export interface AiOutputSettings {
  AI_LINK_DOMAINS: readonly string[];
  ZENDESK_EMAIL?: string | undefined;
  INGEST_PUBLIC_URL?: string | undefined;
}

/** The configured domains, else the company's own: its support address's domain, else ingest's public host. */
export function aiOutputPolicy(settings: AiOutputSettings): AiOutputPolicy {
  if (settings.AI_LINK_DOMAINS.length > 0) return { allowedLinkDomains: [...settings.AI_LINK_DOMAINS] };
  const emailDomain = settings.ZENDESK_EMAIL?.split("@")[1];
  if (emailDomain) return { allowedLinkDomains: [emailDomain] };
  const host = settings.INGEST_PUBLIC_URL ? new URL(settings.INGEST_PUBLIC_URL).hostname : undefined;
  return { allowedLinkDomains: host ? [host] : [] };
}
