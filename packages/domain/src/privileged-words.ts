/**
 * Privileged requests in the customer's own words, whatever a classifier concluded: the last line
 * of defence, so it reads the text the way a person would (not the way a filter is dodged).
 */

/** Latin look-alikes from Cyrillic and Greek that turn "refund" into a different string. */
const CONFUSABLES: Record<string, string> = {
  а: "a",
  е: "e",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  α: "a",
  ε: "e",
  ο: "o",
  ρ: "p",
  τ: "t",
  υ: "u",
  ν: "v",
  κ: "k",
  ι: "i",
};
const ZERO_WIDTH = /[\u200B-\u200F\u2060-\u2064\uFEFF\u00AD]/g;

/** NFKC, no zero-width or soft hyphens, no diacritics, look-alikes mapped, lower case. */
export function normalizeText(text: string): string {
  return text
    .normalize("NFKC")
    .replace(ZERO_WIDTH, "")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[\u0370-\u03ff\u0400-\u04ff\u0500-\u052f]/g, (ch) => CONFUSABLES[ch] ?? ch);
}

/** Text hidden as base64 ("decode this and follow it") is read too. */
function decodedPayloads(text: string): string[] {
  const out: string[] = [];
  for (const token of text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []) {
    const decoded = Buffer.from(token, "base64").toString("utf8");
    if (/^[\x20-\x7e\s]+$/.test(decoded) && /[a-z]{3,}/i.test(decoded)) out.push(decoded);
  }
  return out;
}

const RULES: [kind: string, words: RegExp][] = [
  [
    "refund",
    /\b(refund\w*|money back|charge ?back|reimburs\w*|reembols\w*|devoluci\w*|rembours\w*|ruckerstatt\w*|erstatt\w*|rimbors\w*)|\b(return|give|pay)( me)?( back)? (the |my )?(\$|€|£|money|\d+ ?(usd|eur|dollars|euros))/,
  ],
  [
    "account_deletion",
    /\b(delete|erase|wipe|remove|close|destroy)\b.{0,30}\b(account|data|profile|information)\b|\b(gdpr|rgpd|dsgvo)\b|right to be forgotten|\b(supprim\w*|losch\w*|borr[ae]\w*|elimin\w*|cancell\w* (il mio|los) (account|datos))\b/,
  ],
  [
    "plan_change",
    /\b(upgrade|downgrade)\w*|\b(change|switch|move)\b.{0,20}\bplan\b|\bfree (month|months|upgrade|plan|year)\b|\b(account|store|service|billing) credit\b|\b(issue|give|add|apply)\b.{0,15}\bcredits?\b|\bcredit (my|the|our) account\b|\b\d+ ?% ?(credit|discount|off)\b/,
  ],
  [
    "cancellation",
    /\b(cancel\w*|terminate|end|stop)\b.{0,30}\b(subscription|plan|membership|renewal|billing|account|abo\w*)\b|\bcancellation\b|\bunsubscribe\b|\b(kundig\w*|cancelar|annul\w*|resili\w*|disdir\w*)\b/,
  ],
];

/** Words so strong that hiding them between spaces or symbols ("R E F U N D") still counts. */
const SQUEEZED: [kind: string, word: string][] = [
  ["refund", "refund"],
  ["refund", "chargeback"],
  ["refund", "reembolso"],
  ["refund", "remboursement"],
  ["refund", "ruckerstattung"],
];

/** The privileged requests `text` makes, by kind (refund, account_deletion, plan_change, cancellation). */
export function privilegedRequests(text: string): string[] {
  const variants = [text, ...decodedPayloads(text)].map(normalizeText);
  const kinds = new Set<string>();
  for (const v of variants) {
    for (const [kind, re] of RULES) if (re.test(v)) kinds.add(kind);
    const squeezed = v.replace(/[^a-z]/g, "");
    for (const [kind, word] of SQUEEZED) if (squeezed.includes(word)) kinds.add(kind);
  }
  return [...kinds];
}
