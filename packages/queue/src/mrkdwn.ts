// Slack reads `<...>` in a message as a control sequence: `<!channel>`, `<!here>` and `<@U123>`
// notify people, `<url|label>` shows a link under any label. Alert text carries what events
// carry (error messages quote metadata keys, emails, customer names), so everything that did not
// come from Switchyard's own code passes through here before it is sent.

/** `&`, `<` and `>` as Slack's own escapes: no control sequence survives. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Text from an event or a provider, shown inert: one line (a line break could forge a line of
 * the alert, or open a quote), no backtick (it would close the span), at most `max` characters,
 * escaped, inside an inline code span, where Slack formats nothing and links nothing.
 */
export function untrusted(text: string, max = 300): string {
  const line = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ")
    .replaceAll("`", "'")
    .trim();
  const cut = line.length > max ? `${line.slice(0, max)}…` : line;
  return `\`${escapeMrkdwn(cut || "(no message)")}\``;
}

/** A link of Switchyard's own (a console or Bull Board page); the label is escaped like any text. */
export function link(url: string, label: string): string {
  return `<${url.replaceAll("|", "%7C").replaceAll("<", "%3C").replaceAll(">", "%3E")}|${escapeMrkdwn(label).replaceAll("|", "/")}>`;
}

/** 12:04:05 UTC: alert times are read beside logs, which are in UTC. */
export function clock(ms: number, zone = true): string {
  return `${new Date(ms).toISOString().slice(11, 19)}${zone ? " UTC" : ""}`;
}
