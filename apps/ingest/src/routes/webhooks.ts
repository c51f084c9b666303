import { APP_SOURCE, SOURCE_NAME } from "@switchyard/events";
import { type RawRequest, SOURCES, type SourceRegistry, sourceNamed, standardWebhooks } from "@switchyard/sources";
import { Hono } from "hono";
import { type AcceptedEvent, acceptEvents } from "../accept.ts";
import type { AppEnv, RouteDeps } from "../env-types.ts";
import { ApiError } from "../errors.ts";
import { countResults } from "../metrics.ts";
import type { Parsed } from "../parse.ts";
import { readRawBody } from "../raw-body.ts";

interface SourceHandler {
  verify(req: RawRequest): boolean;
  parse(req: RawRequest): Parsed;
}

/** The handler for a source, or undefined when that source is not configured (404). */
function handlerFor(source: string, deps: RouteDeps, sources: SourceRegistry): SourceHandler | undefined {
  const { config } = deps;
  const named = sourceNamed(source, sources);
  if (named) {
    if (named.secrets(config).length === 0) return undefined;
    return { verify: (r) => named.verify(r, config), parse: (r) => named.parse(r) };
  }
  const secrets = config.webhookSources.get(source);
  if (source !== APP_SOURCE && SOURCE_NAME.test(source) && secrets) {
    return { verify: (r) => standardWebhooks.verify(r, secrets), parse: (r) => standardWebhooks.parse(r) };
  }
  return undefined;
}

export function respond(results: AcceptedEvent[]) {
  const accepted = results.filter((r) => r.status === "accepted");
  const [first] = results;
  if (results.length === 1 && first) {
    return first.status === "duplicate"
      ? { status: 200 as const, body: { status: "duplicate", eventId: first.eventId } }
      : { status: 202 as const, body: { status: "accepted", eventId: first.eventId, queues: first.queues } };
  }
  return {
    status: accepted.length > 0 ? (202 as const) : (200 as const),
    body: {
      status: accepted.length > 0 ? "accepted" : "duplicate",
      events: results.map(({ eventId, status }) => ({ eventId, status })),
    },
  };
}

export function webhookRoutes(deps: RouteDeps) {
  const sources = deps.sources ?? SOURCES;
  return new Hono<AppEnv>().post("/:source", async (c) => {
    const source = c.req.param("source");
    const handler = handlerFor(source, deps, sources);
    if (!handler) throw new ApiError("not_found", `no webhook source named "${source.slice(0, 40)}" is configured`);
    c.set("source", source);
    const raw: RawRequest = {
      method: c.req.method,
      url: c.req.url,
      headers: c.req.raw.headers,
      body: await readRawBody(c.req.raw, c.env?.incoming),
      receivedAt: c.get("receivedAt"),
    };
    if (!handler.verify(raw))
      throw new ApiError("auth_failed", "signature missing, invalid or outside the time window");
    const results = await acceptEvents(
      { ...deps, source, body: raw.body, receivedAt: raw.receivedAt, requestId: c.get("requestId") },
      handler.parse(raw),
    );
    countResults(deps.metrics, source, results);
    const { status, body } = respond(results);
    return c.json(body, status);
  });
}
