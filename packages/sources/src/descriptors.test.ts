import { describe, expect, it } from "vitest";
import type { AnySource } from "./define.ts";
import { reservedSourceNames, SOURCES, sourceEnvShape } from "./registry.ts";
import type { RawRequest } from "./request.ts";
import { standardWebhooks } from "./standard-webhooks.ts";
import { orbit } from "./testing/orbit-source.ts";

const NOW = 1_800_000_000_000;
const SECRET = `whsec_${Buffer.alloc(32, 5).toString("base64")}`;
const URL_ = "https://ingest.example.com/webhooks/x";
const body = JSON.stringify({ id: "evt_1", kind: "a", type: "invoice.paid", eventId: 1 });

function request(headers: Record<string, string>, text = body): RawRequest {
  return { method: "POST", url: URL_, headers: new Headers(headers), body: text, receivedAt: NOW };
}
// INGEST_PUBLIC_URL: outside development HubSpot verifies nothing without it.
const configOf = (s: AnySource, secrets: string[]) => ({
  NODE_ENV: "test",
  INGEST_PUBLIC_URL: "https://ingest.example.com",
  [s.secretVar]: secrets,
});

describe.each([...SOURCES, orbit].map((s) => [s.name, s] as const))("the %s descriptor", (_name, s) => {
  const signed = s.sign({ body, secret: SECRET, url: URL_, now: NOW });

  it("verifies what its own signer signs, with any of its secrets, and nothing else", () => {
    expect(s.verify(request(signed), configOf(s, [SECRET]))).toBe(true);
    expect(s.verify(request(signed), configOf(s, ["whsec_old", SECRET]))).toBe(true);
    expect(s.verify(request(signed, `${body} `), configOf(s, [SECRET]))).toBe(false);
    expect(s.verify(request(signed), configOf(s, ["whsec_other"]))).toBe(false);
    const late = s.sign({ body, secret: SECRET, url: URL_, now: NOW - (s.toleranceSeconds + 2) * 1000 });
    expect(s.verify(request(late), configOf(s, [SECRET]))).toBe(false);
  });

  it("documents exactly the headers its scheme needs: without any of them, nothing verifies", () => {
    const documented = [s.docs.header, ...s.docs.parameters.filter((p) => p.required).map((p) => p.name)];
    const sent = Object.keys(signed).filter((h) => h !== "content-type");
    expect(sent.sort()).toEqual(documented.map((h) => h.toLowerCase()).sort());
    for (const name of documented) {
      const without = Object.fromEntries(Object.entries(signed).filter(([h]) => h !== name.toLowerCase()));
      expect(s.verify(request(without), configOf(s, [SECRET])), name).toBe(false);
    }
  });

  it("declares its secret variable, marked, and is off without one", () => {
    expect(Object.keys(s.env)).toContain(s.secretVar);
    expect(s.secrets(configOf(s, []))).toEqual([]);
  });
});

describe("Standard Webhooks, the family for every other name", () => {
  it("verifies what it signs and documents the headers it needs", () => {
    const signed = standardWebhooks.sign({ body, secret: SECRET, url: URL_, now: NOW, id: "msg_1" });
    expect(standardWebhooks.verify(request(signed), [SECRET])).toBe(true);
    const documented = [standardWebhooks.docs.header, ...standardWebhooks.docs.parameters.map((p) => p.name)];
    expect(
      Object.keys(signed)
        .filter((h) => h !== "content-type")
        .sort(),
    ).toEqual(documented.sort());
  });
});

describe("the registry", () => {
  it("reserves each scheme's name and app's, and collects every source's variables", () => {
    expect([...reservedSourceNames()].sort()).toEqual(["app", "hubspot", "stripe", "zendesk"]);
    expect([...reservedSourceNames([...SOURCES, orbit])]).toContain("orbit");
    expect(Object.keys(sourceEnvShape([...SOURCES, orbit]))).toEqual([
      "STRIPE_WEBHOOK_SECRET",
      "STRIPE_CONNECT_WEBHOOK_SECRET",
      "HUBSPOT_CLIENT_SECRET",
      "ZENDESK_WEBHOOK_SECRET",
      "ORBIT_SIGNING_SECRET",
    ]);
  });
});
