import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { QueueRegistry } from "@switchyard/queue";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";

export const BULL_BOARD_PATH = "/queues";

/**
 * Bull Board's pages run its own bundled scripts from /queues/static and fetch its API on this
 * origin; nothing else may load, and no other site may frame them (a framed Retry button is a
 * click away from being pressed by someone who did not mean to).
 */
export const BULL_BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // React sets style attributes and the loading screen has a <style>.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'self'",
].join("; ");

/** Its page asks a third-party host for IBM Plex; its own font stack falls back to the system's faces. */
const THIRD_PARTY_FONTS = /<link[^>]+href="https:\/\/fonts\.googleapis\.com[^"]*"[^>]*>/g;

function securityHeaders() {
  return createMiddleware(async (c, next) => {
    await next();
    c.header("content-security-policy", BULL_BOARD_CSP);
    c.header("x-frame-options", "DENY");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "same-origin");
    if (c.res.headers.get("content-type")?.startsWith("text/html")) {
      const page = (await c.res.text()).replace(THIRD_PARTY_FONTS, "");
      c.res = new Response(page, { status: c.res.status, headers: c.res.headers });
      c.header("cache-control", "no-store");
    }
  });
}

/** Every work queue and every failure queue; `failed.<reason>` queues group under "failed". */
export function bullBoard(registry: QueueRegistry) {
  const serverAdapter = new HonoAdapter(serveStatic);
  createBullBoard({
    queues: [
      ...registry.all().map((q) => new BullMQAdapter(q, { description: "work queue" })),
      ...registry
        .failures()
        .map(
          (q) => new BullMQAdapter(q, { delimiter: ".", description: "failures: Retry re-drives the original job" }),
        ),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: "Switchyard" } },
  });
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  const app = new Hono();
  app.use(securityHeaders());
  app.route("/", serverAdapter.registerPlugin());
  return app;
}
