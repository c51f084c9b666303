import { spawn } from "node:child_process";
import { once } from "node:events";
import { verifyPassword } from "@switchyard/admin";
import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MAIN, sy } from "./testing.ts";

/** `./sy admin:user …` with the password on standard input, as a script pipes it. */
async function withStdin(args: string[], input: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI_MAIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  child.stdin.end(input);
  const [code] = await once(child, "exit");
  return { code: code as number, out };
}

// Each command line is a node process loading the CLI: seconds each on a loaded machine.
describe("./sy admin:user", () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    db = await createTestDatabase("admin_user_cli");
    env = { DATABASE_URL: db.url, NODE_ENV: "test" };
  });
  afterAll(() => db?.drop());

  it("adds an account with the password from stdin (hashed), lists it, changes its role, removes it", async () => {
    const added = await withStdin(["admin:user", "add", "Grace", "--role", "operator"], "grace-password-123\n", env);
    expect(added, added.out).toMatchObject({ code: 0, out: "created grace (operator)\n" });
    const sql = postgres(db.url, { max: 1 });
    const [row] = await sql`select name, role, password_hash from console_accounts`;
    expect(row).toMatchObject({ name: "grace", role: "operator" });
    expect(row?.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row?.password_hash).not.toContain("grace-password-123");
    expect(await verifyPassword("grace-password-123", row?.password_hash ?? "")).toBe(true);

    const again = await withStdin(["admin:user", "add", "grace", "--role", "admin"], "grace-new-password-4\n", env);
    expect(again.out).toBe("updated grace (admin); its sessions ended\n");
    expect((await sy(["admin:user", "list"], { env })).stdout).toMatch(/^grace\tadmin\t\d{4}-/);
    expect((await sy(["admin:user", "remove", "grace"], { env })).stdout).toBe("removed grace\n");
    expect((await sql`select count(*)::int as n from console_accounts`)[0]).toEqual({ n: 0 });
    await sql.end();
  }, 90_000);

  it("refuses a short password and an unknown role, writing nothing", async () => {
    const short = await withStdin(["admin:user", "add", "bob", "--role", "viewer"], "short\n", env);
    expect(short.code).toBe(2);
    expect(short.out).toMatch(/the password needs at least 12 characters/);
    const role = await sy(["admin:user", "add", "bob", "--role", "boss"], { env });
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/--role must be one of viewer, operator, admin/);
    const sql = postgres(db.url, { max: 1 });
    expect(await sql`select name from console_accounts where name = 'bob'`).toHaveLength(0);
    await sql.end();
  }, 90_000);
});
