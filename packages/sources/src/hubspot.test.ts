import { describe, expect, it } from "vitest";
import { hubspot } from "./hubspot.ts";
import type { RawRequest } from "./request.ts";

const SECRET = "hubspot-client-secret-test";
const NOW = 1_800_000_000_000;
const body = JSON.stringify([{ eventId: 1, subscriptionType: "contact.creation", objectId: 7 }]);

/** What arrives when the sender picks the Host: the request URL is built from it. */
function spoofed(): RawRequest {
  const url = "http://evil.example/webhooks/hubspot";
  return {
    method: "POST",
    url,
    headers: new Headers(hubspot.sign({ body, secret: SECRET, url, now: NOW })),
    body,
    receivedAt: NOW,
  };
}
const config = (env: Record<string, string>) => ({ HUBSPOT_CLIENT_SECRET: [SECRET], NODE_ENV: "production", ...env });

describe("HubSpot without INGEST_PUBLIC_URL fails closed outside development", () => {
  it("in production the source refuses to start, naming INGEST_PUBLIC_URL, and verifies nothing", () => {
    const c = config({});
    expect(hubspot.startCheck?.(c)?.refuse).toMatch(/INGEST_PUBLIC_URL is not/);
    expect(hubspot.startCheck?.({ ...c, NODE_ENV: "test" })?.refuse).toMatch(/Set INGEST_PUBLIC_URL/);
    // A signature over the URL the sender chose, Host included, is refused.
    expect(hubspot.verify(spoofed(), c)).toBe(false);
  });

  it("with INGEST_PUBLIC_URL set, a signature over a spoofed Host is refused and one over the public URL verifies", () => {
    const c = config({ INGEST_PUBLIC_URL: "https://hooks.example.com" });
    expect(hubspot.startCheck?.(c)).toBeUndefined();
    expect(hubspot.verify(spoofed(), c)).toBe(false);
    const url = "https://hooks.example.com/webhooks/hubspot";
    const real: RawRequest = {
      ...spoofed(),
      headers: new Headers(hubspot.sign({ body, secret: SECRET, url, now: NOW })),
    };
    expect(hubspot.verify(real, c)).toBe(true);
  });

  it("in development the Host header is accepted, with a warning at start", () => {
    const c = config({ NODE_ENV: "development" });
    expect(hubspot.startCheck?.(c)).toEqual({ warn: expect.stringMatching(/development only/) });
    expect(hubspot.verify(spoofed(), c)).toBe(true);
  });

  it("is not checked when HubSpot is not configured", () => {
    expect(hubspot.startCheck?.({ ...config({}), HUBSPOT_CLIENT_SECRET: [] })).toBeUndefined();
  });
});
