import { createHmac } from "node:crypto";
import { list, secret } from "@switchyard/env";
import { z } from "zod";
import { anySecret, safeEqual, withinWindow } from "../compare.ts";
import { defineSource } from "../define.ts";
import { parseWith } from "../parse.ts";

/**
 * A test-only provider with a scheme of its own (hex HMAC-SHA512 of "timestamp:body"), written by
 * following docs/EXTENDING.md "Add a source": this descriptor is all it took.
 */
export const OrbitEventShape = z.looseObject({ id: z.string().min(1).max(255), kind: z.string().min(1).max(200) });

const sign = (secretValue: string, ts: string, body: string) =>
  createHmac("sha512", secretValue).update(`${ts}:${body}`).digest("hex");

export const orbit = defineSource({
  name: "orbit",
  title: "Orbit",
  env: { ORBIT_SIGNING_SECRET: secret(list()) },
  secretVar: "ORBIT_SIGNING_SECRET",
  toleranceSeconds: 120,
  setup: "Orbit console → Webhooks → Add endpoint.",
  secrets: (c) => c.ORBIT_SIGNING_SECRET,
  verify(req, c) {
    const ts = req.headers.get("x-orbit-timestamp");
    const given = req.headers.get("x-orbit-signature");
    if (!ts || !given || !/^\d{1,12}$/.test(ts) || !withinWindow(Number(ts) * 1000, req.receivedAt, 120_000)) {
      return false;
    }
    return anySecret(c.ORBIT_SIGNING_SECRET, (s) => safeEqual(sign(s, ts, req.body), given));
  },
  parse: (req) =>
    parseWith(req.body, OrbitEventShape, (e, raw) => [{ sourceEventId: e.id, type: e.kind, payload: raw }]),
  sign({ body, secret: s, now = Date.now() }) {
    const ts = String(Math.floor(now / 1000));
    return { "content-type": "application/json", "x-orbit-timestamp": ts, "x-orbit-signature": sign(s, ts, body) };
  },
  docs: {
    summary: "Orbit webhook",
    scheme: 'hex HMAC-SHA512 of "X-Orbit-Timestamp:body".',
    schemeName: "orbitSignature",
    header: "X-Orbit-Signature",
    parameters: [{ name: "X-Orbit-Timestamp", description: "Seconds since the epoch.", required: true }],
    body: { name: "OrbitEvent", schema: OrbitEventShape },
  },
});
