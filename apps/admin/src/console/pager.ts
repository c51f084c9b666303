import { html } from "hono/html";
import { type Html, text } from "./page.ts";

/** The count line and the way on: "N match", then Next (keyset, `after`) and back to the first page. */
export function pager(
  path: string,
  filter: Record<string, string>,
  page: { next: string | null; total: number; capped: boolean },
  shown: number,
  after: string,
): Html {
  // Empty values are kept: an empty status means "any", where its absence means the default.
  const kept = filter;
  const url = (extra: Record<string, string>) => {
    const qs = new URLSearchParams({ ...kept, ...extra }).toString();
    return qs ? `${path}?${qs}` : path;
  };
  const count = page.capped ? `more than ${page.total.toLocaleString("en")}` : page.total.toLocaleString("en");
  return html`<div class="pager" data-testid="pager">
<span data-total="${page.total}">${text(count)} ${page.total === 1 && !page.capped ? "match" : "matches"}; ${shown} on this page</span>
${after ? html`<a href="${url({})}">First page</a>` : ""}
${page.next ? html`<a rel="next" href="${url({ after: page.next })}">Next page →</a>` : ""}
</div>`;
}
