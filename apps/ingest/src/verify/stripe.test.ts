import { createHmac } from "node:crypto";
import { signStripeBody } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import type { RawRequest } from "../env-types.ts";
import { verifyStripe } from "./stripe.ts";

const SECRET = "whsec_verify_test_secret";
const NOW = 1_800_000_000_000;
const T = NOW / 1000;
const body = '{"id":"evt_1","type":"invoice.paid","data":{"object":{}}}';
const sign = (t: number, content = body, secret = SECRET) =>
  createHmac("sha256", secret).update(`${t}.${content}`).digest("hex");

function request(header: string | undefined, text = body): RawRequest {
  const headers = new Headers(header === undefined ? {} : { "stripe-signature": header });
  return { method: "POST", url: "http://x/webhooks/stripe", headers, body: text, receivedAt: NOW };
}

describe("verifyStripe", () => {
  it("accepts what the stripe package's own helper signs", () => {
    const signed = signStripeBody({ body, secret: SECRET, timestamp: T });
    expect(verifyStripe(request(signed.headers["stripe-signature"]), [SECRET])).toBe(true);
  });

  it("accepts any of several v1 signatures, as Stripe sends while it rolls a secret", () => {
    const header = `t=${T},v1=${sign(T, body, "whsec_old")},v1=${sign(T)},v0=abc`;
    expect(verifyStripe(request(header), [SECRET])).toBe(true);
  });

  it("refuses a tampered body, a wrong secret and a signature for another timestamp", () => {
    expect(verifyStripe(request(`t=${T},v1=${sign(T)}`, `${body} `), [SECRET])).toBe(false);
    expect(verifyStripe(request(`t=${T},v1=${sign(T)}`), ["whsec_other"])).toBe(false);
    expect(verifyStripe(request(`t=${T + 1},v1=${sign(T)}`), [SECRET])).toBe(false);
  });

  it("refuses timestamps more than five minutes old or ahead of arrival", () => {
    expect(verifyStripe(request(`t=${T - 299},v1=${sign(T - 299)}`), [SECRET])).toBe(true);
    expect(verifyStripe(request(`t=${T - 301},v1=${sign(T - 301)}`), [SECRET])).toBe(false);
    expect(verifyStripe(request(`t=${T + 301},v1=${sign(T + 301)}`), [SECRET])).toBe(false);
  });

  it("refuses headers that are missing, repeat the timestamp or carry no v1", () => {
    for (const header of [
      undefined,
      "",
      `v1=${sign(T)}`,
      `t=${T},t=${T},v1=${sign(T)}`,
      `t=${T},v0=${sign(T)}`,
      `t=abc,v1=${sign(T)}`,
      `t=${T},v1=${sign(T).toUpperCase()}`,
      `t=${T},v1=${sign(T)}${",x".repeat(600)}`,
    ]) {
      expect(verifyStripe(request(header), [SECRET]), String(header).slice(0, 40)).toBe(false);
    }
  });
});
