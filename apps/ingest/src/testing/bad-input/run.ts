import { ERROR_STATUS, type ErrorCode } from "../../errors.ts";
import { type Harness, SECRETS } from "../harness.ts";
import { BASE, type Case, KNOWN_4XX } from "./requests.ts";

const CONCURRENCY = 16;
export const HEALTH_EVERY = 50;

interface Outcome {
  c: Case;
  status: number;
  requestId: string | undefined;
  problems: string[];
}

async function send(h: Harness, c: Case, requestId: string): Promise<Outcome> {
  const headers = new Headers(c.headers as [string, string][] | Record<string, string>);
  if (!headers.has("x-request-id")) headers.set("x-request-id", requestId);
  const res = await h.app.request(`${BASE}${c.path}`, {
    method: c.method,
    headers,
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  const problems: string[] = [];
  const text = await res.text();
  const headerId = res.headers.get("x-request-id") ?? undefined;
  for (const secret of Object.values(SECRETS)) if (text.includes(secret)) problems.push("response echoes a secret");
  if (c.allow2xx && res.status >= 200 && res.status < 300)
    return { c, status: res.status, requestId: headerId, problems };
  if (res.status < 400 || res.status > 499) problems.push(`status ${res.status}: ${text.slice(0, 200)}`);
  if (c.method === "HEAD") return { c, status: res.status, requestId: headerId, problems };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    problems.push(`body is not JSON: ${text.slice(0, 120)}`);
    return { c, status: res.status, requestId: headerId, problems };
  }
  const error = (body as { error?: Record<string, unknown> })?.error;
  const shapeOk =
    Object.keys(body as object).length === 1 &&
    error !== undefined &&
    Object.keys(error).sort().join(",") === "code,message,requestId" &&
    typeof error.code === "string" &&
    typeof error.message === "string" &&
    error.message.length > 0 &&
    typeof error.requestId === "string" &&
    error.requestId.length > 0;
  if (!shapeOk) problems.push(`not the error shape: ${text.slice(0, 200)}`);
  const code = error?.code as ErrorCode | undefined;
  if (code && !KNOWN_4XX.includes(code)) problems.push(`unknown code ${code}`);
  if (code && ERROR_STATUS[code] !== res.status) problems.push(`code ${code} with status ${res.status}`);
  if (code && !c.codes.includes(code)) problems.push(`code ${code}, expected ${c.codes.join("|")}: ${error?.message}`);
  if (error?.requestId !== headerId) problems.push(`requestId ${error?.requestId} != header ${headerId}`);
  return { c, status: res.status, requestId: (error?.requestId as string | undefined) ?? headerId, problems };
}

export interface Run {
  problems: string[];
  summary: string;
  checkpoints: number;
}

/**
 * Sends `cases` CONCURRENCY at a time, checking /healthz (and that no job or accepted row
 * appeared) every HEALTH_EVERY requests, then checks every new row against the request that
 * wrote it. `strict`: no job and no non-rejected row may appear at all.
 */
export async function runCases(h: Harness, cases: Case[], runId: string, strict: boolean): Promise<Run> {
  const rowIdsBefore = new Set((await h.eventRows()).map((row) => row.id));
  const jobsBefore = await h.totalJobs();
  const logsBefore = h.logs.length;
  const outcomes: Outcome[] = new Array(cases.length);
  const checkpoints: { after: number; health: number; jobs: number; accepted: number }[] = [];
  let next = 0;
  let done = 0;
  const checkpoint = async () => {
    const after = done;
    const health = (await h.app.request(`${BASE}/healthz`)).status;
    const fresh = (await h.eventRows()).filter((row) => !rowIdsBefore.has(row.id));
    checkpoints.push({
      after,
      health,
      jobs: (await h.totalJobs()) - jobsBefore,
      accepted: fresh.filter((row) => row.status !== "rejected").length,
    });
  };
  const pending: Promise<void>[] = [];
  const worker = async () => {
    for (;;) {
      const i = next++;
      const c = cases[i];
      if (!c) return;
      try {
        outcomes[i] = await send(h, c, `${runId}-${i}`);
      } catch (err) {
        outcomes[i] = { c, status: 0, requestId: undefined, problems: [`request threw: ${String(err)}`] };
      }
      done += 1;
      if (done % HEALTH_EVERY === 0) pending.push(checkpoint());
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await Promise.all(pending);
  await checkpoint();
  const tookMs = Date.now() - started;

  const problems: string[] = [];
  const byRequestId = new Map(outcomes.map((o) => [o.requestId, o]));
  const fresh = (await h.eventRows()).filter((row) => !rowIdsBefore.has(row.id));
  for (const row of fresh) {
    const o = byRequestId.get(row.requestId ?? undefined);
    if (!o) problems.push(`row ${row.id} (${row.source}/${row.status}) from no known request (${row.requestId})`);
    else if (!o.c.auth) problems.push(`[${o.c.category}] ${o.c.label}: unauthenticated request wrote a row`);
    else if (row.status !== "rejected" && !o.c.allow2xx)
      problems.push(`[${o.c.category}] ${o.c.label}: row with status ${row.status}`);
  }
  const jobs = (await h.totalJobs()) - jobsBefore;
  if (strict && jobs !== 0) problems.push(`${jobs} job(s) enqueued by bad input`);
  for (const cp of checkpoints) {
    if (cp.health !== 200) problems.push(`/healthz answered ${cp.health} after ${cp.after} requests`);
    if (strict && cp.jobs !== 0) problems.push(`${cp.jobs} job(s) after ${cp.after} requests`);
    if (strict && cp.accepted !== 0) problems.push(`${cp.accepted} non-rejected row(s) after ${cp.after} requests`);
  }
  for (const o of outcomes) for (const p of o.problems) problems.push(`[${o.c.category}] ${o.c.label}: ${p}`);
  for (const line of h.logs.slice(logsBefore)) {
    if (/"level":"error"/.test(line)) problems.push(`error logged: ${line.slice(0, 400)}`);
  }

  const counts = new Map<string, Map<number, number>>();
  for (const o of outcomes) {
    const byStatus = counts.get(o.c.category) ?? new Map<number, number>();
    byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    counts.set(o.c.category, byStatus);
  }
  const summary = [
    `${cases.length} requests in ${tookMs} ms, ${checkpoints.length} health checks, ${fresh.length} new rows, ${jobs} new jobs`,
    ...[...counts.entries()].map(([category, byStatus]) => {
      const total = [...byStatus.values()].reduce((a, b) => a + b, 0);
      const statuses = [...byStatus.entries()]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(" ");
      return `  ${category.padEnd(24)} ${String(total).padStart(4)}  (${statuses})`;
    }),
  ].join("\n");
  return { problems, summary, checkpoints: checkpoints.length };
}
