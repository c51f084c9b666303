import { describe, expect, it } from "vitest";
import { afterPost } from "./page.ts";
import { crossOriginReason, crossSiteBrowserReason } from "./same-origin.ts";

const URL_ = "http://127.0.0.1:3001/console/retry-all";
const check = (headers: Record<string, string>) => crossOriginReason(new Headers(headers), URL_);

describe("crossOriginReason", () => {
  it("accepts the console's own pages", () => {
    expect(check({ "sec-fetch-site": "same-origin", origin: "http://127.0.0.1:3001" })).toBeUndefined();
    expect(check({ origin: "http://127.0.0.1:3001" })).toBeUndefined();
    // TLS ended at a proxy: the page was https, the app sees http on the same host.
    expect(check({ origin: "https://127.0.0.1:3001" })).toBeUndefined();
  });

  it("refuses other sites, sibling sites, opaque origins and requests that say nothing", () => {
    expect(check({ "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:3001" })).toBe(
      "Sec-Fetch-Site is cross-site",
    );
    expect(check({ "sec-fetch-site": "same-site" })).toBe("Sec-Fetch-Site is same-site");
    expect(check({ "sec-fetch-site": "none" })).toBe("Sec-Fetch-Site is none");
    expect(check({ origin: "http://127.0.0.1:3002" })).toBe("Origin is another site");
    expect(check({ origin: "null" })).toBe("Origin is not a URL");
    expect(check({})).toBe("neither Sec-Fetch-Site nor Origin was sent");
  });
});

describe("crossSiteBrowserReason (the JSON APIs)", () => {
  const api = (headers: Record<string, string>) => crossSiteBrowserReason(new Headers(headers), URL_);
  it("lets scripts and the same origin through, and refuses what a browser marks as another site", () => {
    expect(api({})).toBeUndefined();
    expect(api({ "sec-fetch-site": "none" })).toBeUndefined();
    expect(api({ "sec-fetch-site": "same-origin" })).toBeUndefined();
    expect(api({ origin: "http://127.0.0.1:3001" })).toBeUndefined();
    expect(api({ "sec-fetch-site": "cross-site" })).toBe("Sec-Fetch-Site is cross-site");
    expect(api({ origin: "https://evil.example" })).toBe("Origin is another site");
  });
});

describe("afterPost", () => {
  it("goes back to a console page with the message in the query string", () => {
    expect(afterPost("/console/failures?reason=crm_timeout&flash=old", "/console", { flash: "done & dusted" })).toBe(
      "/console/failures?reason=crm_timeout&flash=done+%26+dusted",
    );
    expect(afterPost(undefined, "/console", { error: "no" })).toBe("/console?error=no");
  });

  it("never redirects off the console", () => {
    for (const back of [
      "https://evil.example/console",
      "//evil.example/console",
      "/queues/api",
      "/consolex",
      "/console/../api",
    ]) {
      expect(afterPost(back, "/console", { flash: "x" }), back).toMatch(/^\/console(\/|\?)/);
    }
    expect(afterPost("/console/../api", "/console", { flash: "x" })).toBe("/console?flash=x");
  });
});
