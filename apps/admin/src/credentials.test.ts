import { parseConfig } from "@switchyard/config";
import { describe, expect, it } from "vitest";
import { adminCredentials } from "./credentials.ts";

const creds = (env: Record<string, string>) => adminCredentials(parseConfig(env));

describe("admin credentials", () => {
  it("refuses to start outside development with a password under 12 or a token under 32 characters, and says why", () => {
    for (const NODE_ENV of ["production", "test"]) {
      expect(creds({ NODE_ENV, ADMIN_USER: "owner", ADMIN_PASSWORD: "elevenchars" })).toEqual({
        ok: false,
        message: "ADMIN_PASSWORD has 11 characters; outside development admin needs at least 12",
      });
      expect(creds({ NODE_ENV, ADMIN_TOKEN: "t".repeat(31) })).toEqual({
        ok: false,
        message: "ADMIN_TOKEN has 31 characters; outside development admin needs at least 32 (openssl rand -hex 32)",
      });
      expect(creds({ NODE_ENV })).toMatchObject({ ok: false, message: expect.stringMatching(/^set ADMIN_TOKEN/) });
      expect(
        creds({ NODE_ENV, ADMIN_USER: "owner", ADMIN_PASSWORD: "twelve-chars", ADMIN_TOKEN: "t".repeat(32) }),
      ).toEqual({
        ok: true,
        credentials: { user: "owner", password: "twelve-chars", token: "t".repeat(32) },
      });
    }
    expect(creds({ NODE_ENV: "production", ADMIN_USER: "Owner Name", ADMIN_PASSWORD: "twelve-chars" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^ADMIN_USER: an account name is/),
    });
  });

  it("makes up a browser sign-in and a token in development, and keeps what is configured", () => {
    const made = creds({ NODE_ENV: "development" });
    expect(made).toMatchObject({ ok: true, generated: { user: "admin" } });
    if (!made.ok) throw new Error("refused");
    expect(made.generated?.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(made.generated?.token).toMatch(/^dev_[A-Za-z0-9_-]{32}$/);
    expect(made.credentials).toEqual({
      user: "admin",
      password: made.generated?.password,
      token: made.generated?.token,
    });
    // Short is fine in development: nothing outside the machine reaches it by default.
    const mine = creds({ NODE_ENV: "development", ADMIN_USER: "me", ADMIN_PASSWORD: "short", ADMIN_TOKEN: "tok" });
    expect(mine).toEqual({ ok: true, credentials: { user: "me", password: "short", token: "tok" }, generated: {} });
  });
});
