import { createHmac } from "node:crypto";
import { signStripeBody } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import type { RawRequest } from "./request.ts";
import { connectedAccountOf, stripe, verifyStripe } from "./stripe.ts";

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

  describe("Connect", () => {
    const CONNECT = "whsec_connect_endpoint_secret";
    const config = {
      NODE_ENV: "test",
      STRIPE_WEBHOOK_SECRET: [SECRET],
      STRIPE_CONNECT_WEBHOOK_SECRET: ["whsec_connect_old", CONNECT],
    };
    const connectBody = JSON.stringify({
      id: "evt_c",
      type: "account.updated",
      account: "acct_1",
      data: { object: { id: "acct_1", object: "account" } },
    });
    const signedWith = (secret: string, text: string) => request(`t=${T},v1=${sign(T, text, secret)}`, text);

    it("checks an event from a connected account with the Connect endpoint's secrets only", () => {
      expect(stripe.verify(signedWith(CONNECT, connectBody), config)).toBe(true);
      expect(stripe.verify(signedWith(SECRET, connectBody), config)).toBe(false);
      expect(stripe.verify(signedWith(SECRET, connectBody), { ...config, STRIPE_CONNECT_WEBHOOK_SECRET: [] })).toBe(
        false,
      );
    });

    it("checks the platform's own events with the platform's secrets only", () => {
      expect(stripe.verify(signedWith(SECRET, body), config)).toBe(true);
      expect(stripe.verify(signedWith(CONNECT, body), config)).toBe(false);
    });

    it("reads `account` only at the top level of the event", () => {
      expect(connectedAccountOf(connectBody)).toBe("acct_1");
      expect(connectedAccountOf('{"id":"evt","data":{"object":{"account":"acct_2"}}}')).toBeUndefined();
      expect(connectedAccountOf('{"account":')).toBeUndefined();
    });
  });
});
