import { APP_SOURCE, isProviderSource, SOURCE_NAME } from "@switchyard/events";
import { Hono } from "hono";
import { type AcceptedEvent, acceptEvents } from "../accept.ts";
import type { AppEnv, RawRequest, RouteDeps } from "../env-types.ts";
import { ApiError } from "../errors.ts";
import { countResults } from "../metrics.ts";
import { type Parsed, parseHubspot, parseStandardWebhook, parseStripe, parseZendesk } from "../parse.ts";
import { readRawBody } from "../raw-body.ts";
import { verifyHubspot } from "../verify/hubspot.ts";
import { verifyStandardWebhook } from "../verify/standard-webhooks.ts";
import { verifyStripe } from "../verify/stripe.ts";
import { verifyZendesk } from "../verify/zendesk.ts";

interface SourceHandler {
  verify(req: RawRequest): boolean | Promise<boolean>;
  parse(req: RawRequest): Parsed;
}

/** The handler for a source, or undefined when that source is not configured (404). */
function handlerFor(source: string, deps: RouteDeps): SourceHandler | undefined {
  const { config } = deps;
  const configured = (secrets: readonly string[]) => secrets.length > 0;
  if (source === "stripe" && configured(config.STRIPE_WEBHOOK_SECRET)) {
    return { verify: (r) => verifyStripe(r, config.STRIPE_WEBHOOK_SECRET), parse: (r) => parseStripe(r.body) };
  }
  if (source === "hubspot" && configured(config.HUBSPOT_CLIENT_SECRET)) {
    return {
      verify: (r) => verifyHubspot(r, config.HUBSPOT_CLIENT_SECRET, config.INGEST_PUBLIC_URL),
      parse: (r) => parseHubspot(r.body),
    };
  }
  if (source === "zendesk" && configured(config.ZENDESK_WEBHOOK_SECRET)) {
    return {
      verify: (r) => verifyZendesk(r, config.ZENDESK_WEBHOOK_SECRET),
      parse: (r) => parseZendesk(r.body, r.headers.get("x-zendesk-webhook-invocation-id") ?? undefined),
    };
  }
  const secrets = config.webhookSources.get(source);
  if (!isProviderSource(source) && source !== APP_SOURCE && SOURCE_NAME.test(source) && secrets) {
    return {
      verify: (r) => verifyStandardWebhook(r, secrets),
      parse: (r) => parseStandardWebhook(r.body, r.headers.get("webhook-id") ?? ""),
    };
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
  return new Hono<AppEnv>().post("/:source", async (c) => {
    const source = c.req.param("source");
    const handler = handlerFor(source, deps);
    if (!handler) throw new ApiError("not_found", `no webhook source named "${source.slice(0, 40)}" is configured`);
    c.set("source", source);
    const raw: RawRequest = {
      method: c.req.method,
      url: c.req.url,
      headers: c.req.raw.headers,
      body: await readRawBody(c.req.raw, c.env?.incoming),
      receivedAt: c.get("receivedAt"),
    };
    if (!(await handler.verify(raw)))
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
