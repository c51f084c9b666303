import { SECRETS } from "../harness.ts";
import { validAuth, withHeader } from "./auth.ts";
import { validBody } from "./bodies.ts";
import { type Gen, nowS, PATH, SIG_HEADER, SOURCES, type Source, standardHeaders, stripeHeaders } from "./requests.ts";

/** Oversized and weird headers. */
export function headerCases({ r, json, add, unauth }: Gen): void {
  for (const source of SOURCES) {
    const sig = SIG_HEADER[source];
    for (let i = 0; i < 4; i++) {
      const body = validBody(source, r);
      const good = validAuth(source, body, r);
      const size = r.pick([8 * 1024, 64 * 1024, 256 * 1024]);
      const long = source === "app" ? `Bearer ${r.string(size)}` : r.printable(size);
      unauth(source, "header-very-long", `${size}-char signature`, { ...json, ...withHeader(good, sig, long) }, body);
      // Many signature candidates, none valid.
      const n = r.pick([100, 1_000, 5_000]);
      const many =
        source === "stripe"
          ? `t=${nowS()},${Array.from({ length: n }, () => `v1=${r.hex(32)}`).join(",")}`
          : source === "acme"
            ? Array.from({ length: n }, () => `v1,${r.base64(32)}`).join(" ")
            : source === "app"
              ? Array.from({ length: n }, () => `Bearer ${r.string(26)}`).join(", ")
              : Array.from({ length: n }, () => r.base64(32)).join(",");
      unauth(source, "header-many-candidates", `${n} candidates`, { ...json, ...withHeader(good, sig, many) }, body);
      // Repeated signature headers (fetch joins them with ", ").
      const repeated: [string, string][] = [
        ["content-type", "application/json"],
        ...Object.entries(withHeader(good, sig, undefined)),
        [sig, r.base64(32)],
        [sig, source === "app" ? "Bearer nope" : r.hex(32)],
      ];
      unauth(source, "header-repeated", "two wrong signature headers", repeated, body);
      // Latin-1 (the most fetch lets through) and UTF-8 read as Latin-1 (what a proxy might pass on).
      const latin1 = r.pick([
        "café",
        "ÿþý",
        "naïve¡¿",
        Buffer.from("🚀 emoji", "utf8").toString("latin1"),
        Buffer.from("日本語", "utf8").toString("latin1"),
        "\u0085\u00a0\u00ad",
      ]);
      const header =
        source === "app" ? `Bearer ${SECRETS.appKey.replace("a", "á")}` : `${(good[sig] ?? "").slice(0, 10)}${latin1}`;
      unauth(source, "header-unicode", `latin-1 in ${sig}`, { ...json, ...withHeader(good, sig, header) }, body);
      const tsHeader: Record<Source, string | undefined> = {
        stripe: undefined,
        hubspot: "x-hubspot-request-timestamp",
        zendesk: "x-zendesk-webhook-signature-timestamp",
        acme: "webhook-timestamp",
        app: "idempotency-key",
      };
      const tsName = tsHeader[source];
      if (tsName) {
        add({
          category: "header-unicode",
          label: `${source}: latin-1 in ${tsName}`,
          path: PATH[source],
          headers: { ...json, ...withHeader(good, tsName, `${nowS()}${latin1}`) },
          body,
          // For /v1/events the key is right and only the Idempotency-Key is bad.
          auth: source === "app",
          codes: source === "app" ? ["invalid_request"] : ["auth_failed"],
        });
      }
      // Hundreds of junk headers next to a missing signature.
      const junk = Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`x-junk-${k}`, r.printable(40)]));
      unauth(source, "header-many", "300 junk headers, no signature", { ...json, ...junk }, body);
      // A weird request id: must be replaced, never echoed raw or crash the error path.
      unauth(
        source,
        "header-request-id",
        "weird x-request-id",
        {
          ...json,
          "x-request-id": r.pick(["a".repeat(65), "id with spaces", "<script>", "ünïcode", "../../etc/passwd", "\t"]),
        },
        body,
      );
    }
  }
}

/** Unknown sources and paths. */
export function pathCases({ r, json, add }: Gen): void {
  const paths = [
    "/webhooks/paypal",
    "/webhooks/Stripe",
    "/webhooks/STRIPE",
    "/webhooks/app",
    "/webhooks/globex",
    "/webhooks/stripe/extra",
    "/webhooks/",
    "/webhooks",
    "/webhooks/a/b/c",
    "/webhooks/%2e%2e",
    "/webhooks/..%2fv1%2fevents",
    "/webhooks/stripe%00",
    "/webhooks/%00",
    "/webhooks/%ff",
    "/webhooks/%F0%9F%9A%80",
    "/webhooks/%E2%80%AEepirts",
    `/webhooks/${"a".repeat(5_000)}`,
    "/webhooks/acme%20",
    "/webhooks/ACME",
    "/webhooks/_acme",
    "/v1/events/",
    "/v1/events/x",
    "/v1/event",
    "/v2/events",
    "/V1/EVENTS",
    "/v1",
    "/",
    "/healthz",
    "/readyz/x",
    "/webhooks/stripe.json",
    "/%",
    "/webhooks/%",
  ];
  for (const path of paths) {
    const body = validBody("stripe", r);
    add({
      category: "unknown-path",
      label: path.slice(0, 60),
      path,
      headers: { ...json, ...stripeHeaders(body) },
      body,
      auth: false,
      // A trailing slash or dot-segment may still reach a real route, which then refuses the signature.
      codes: ["not_found", "auth_failed"],
    });
  }
  for (let i = 0; i < 30; i++) {
    const name = r.pick(["a", "b", "z", "q"]) + r.string(r.between(0, 39), "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (name === "acme") continue;
    const body = validBody("acme", r);
    add({
      category: "unknown-source",
      label: name,
      path: `/webhooks/${name}`,
      headers: { ...json, ...standardHeaders(body, { id: r.id("msg") }) },
      body,
      auth: false,
      codes: ["not_found"],
    });
  }
}

/** Wrong methods, each carrying valid credentials: the method alone must refuse it. */
export function methodCases({ r, json, add }: Gen): void {
  for (const source of SOURCES) {
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]) {
      // GET /v1/events?idempotencyKey= is the app's read of an event it sent (routes/event-status).
      if (source === "app" && (method === "GET" || method === "HEAD")) continue;
      const body = validBody(source, r);
      const hasBody = !["GET", "HEAD"].includes(method);
      add({
        category: "wrong-method",
        label: `${method} ${PATH[source]}`,
        method,
        path: PATH[source],
        headers: { ...json, ...validAuth(source, body, r) },
        ...(hasBody ? { body } : {}),
        auth: false,
        codes: ["not_found"],
      });
    }
  }
  for (const method of ["PUT", "DELETE", "PATCH"]) {
    add({
      category: "wrong-method",
      label: `${method} /healthz`,
      method,
      path: "/healthz",
      headers: {},
      auth: false,
      codes: ["not_found"],
    });
  }
}
