/** One line of `./sy doctor`'s checklist. */
export interface Check {
  status: "ok" | "warn" | "fail";
  /** What was checked and what was found, one line. */
  title: string;
  /** What to do about it (warn and fail), one line. */
  fix?: string;
  /** Further lines shown under it: the URL to paste, the event types to subscribe to. */
  details?: string[];
}

export const ok = (title: string, details?: string[]): Check => ({
  status: "ok",
  title,
  ...(details ? { details } : {}),
});
export const warn = (title: string, fix: string): Check => ({ status: "warn", title, fix });
export const fail = (title: string, fix: string): Check => ({ status: "fail", title, fix });

/** The checklist as printed: a status column, the fix under each warn and fail, then a verdict. */
export function render(checks: readonly Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.status.padEnd(5)} ${c.title}`);
    for (const d of c.details ?? []) lines.push(`        ${d}`);
    if (c.fix && c.status !== "ok") lines.push(`      fix: ${c.fix}`);
  }
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  lines.push(
    "",
    fails > 0
      ? `${fails} failing, ${warns} warning(s): not ready to launch.`
      : `No failures${warns > 0 ? `, ${warns} warning(s)` : ""}: ready to launch.`,
  );
  return `${lines.join("\n")}\n`;
}
