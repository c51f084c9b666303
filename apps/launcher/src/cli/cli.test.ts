import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROUTES } from "@switchyard/events";
import { deleteKeysWithPrefix, freePort, uniquePrefix } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { commandHelp } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { DEMO_MAIN, entry, START_MAIN, sy } from "./testing.ts";

const BUILT = COMMANDS.filter((c) => !c.coming).map((c) => c.name);
const COMING = COMMANDS.filter((c) => c.coming).map((c) => c.name);

/** An unreachable Redis: a command that started for real would stop on it with exit 1, not print help. */
async function noRedis() {
  return { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, DATA_DIR: `/tmp/sy-cli-unused-${process.pid}` };
}

describe("./sy help", () => {
  it("the real script lists Switchyard's own commands, one line each, and exits 0", async () => {
    const r = await sy(["help"], { script: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\.\/sy — Switchyard's command line\n/);
    for (const name of BUILT) expect(r.stdout).toMatch(new RegExp(`^  ${name} +[a-z].{20,}$`, "m"));
    for (const name of COMING) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\(coming\\) `, "m"));
    // pnpm's own help, which ./sy help used to print, names none of these.
    expect(r.stdout).not.toMatch(/pnpm|Usage: pnpm/);
    // stderr may hold the prelude's `pnpm install` (after a lockfile change), never a complaint of the CLI.
    expect(r.stderr).not.toMatch(/^sy:/m);
  });

  it("is also what ./sy, ./sy --help and ./sy -h print", async () => {
    const [help, none, long, short] = await Promise.all([sy(["help"]), sy([]), sy(["--help"]), sy(["-h"])]);
    for (const r of [none, long, short]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(help.stdout);
    }
  });

  it("./sy help <command> is that command's --help", async () => {
    const [viaHelp, viaFlag] = await Promise.all([sy(["help", "trigger"]), sy(["trigger", "--help"])]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });
});

describe("an unknown command", () => {
  it("./sy nosuch says so, lists the commands on stderr and exits 2", async () => {
    const r = await sy(["nosuch"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^sy: unknown command "nosuch"\n\nCommands:\n/);
    expect(r.stderr).not.toContain("did you mean");
    for (const name of BUILT) expect(r.stderr).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("suggests the closest command for a typo", async () => {
    for (const [typo, meant] of [
      ["strat", "start"],
      ["tset", "test"],
      ["tigger", "trigger"],
      ["migrat", "migrate"],
    ]) {
      const r = await sy([typo as string]);
      expect(r.code).toBe(2);
      expect(r.stderr.split("\n")[0]).toBe(`sy: unknown command "${typo}" — did you mean "${meant}"?`);
    }
  });
});

describe("--help on each command", () => {
  it("./sy demo --help prints its options and exits 0 without starting the demo", async () => {
    const r = await sy(["demo", "--help"], { env: await noRedis() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: \.\/sy demo \[options\]\n/);
    expect(r.stdout).toMatch(/^ {6}--once {2}exit after printing where to look/m);
    expect(r.stdout).toMatch(/^ {2}-h, --help {2}show this help$/m);
    expect(r.stdout).not.toContain("Switchyard demo —");
    expect(r.stderr).toBe("");
  });

  it("./sy trigger --help prints its options and exits 0", async () => {
    const r = await sy(["trigger", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: \.\/sy trigger <type> \[options\]\n/);
    for (const flag of ["--list", "--url <url>", "--admin-url <url>", "--email <email>", "--user <id>", "-h, --help"]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stderr).toBe("");
  });

  it.each(BUILT)("./sy %s --help exits 0 with its usage and runs nothing", async (name) => {
    const r = await sy([name, "--help"], { env: await noRedis() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(new RegExp(`^Usage: \\./sy ${name} `));
    expect(r.stdout).toContain("-h, --help");
    expect(r.stderr).toBe("");
    // `test` would run pnpm check and `bench` the benchmark: minutes, not a moment.
    expect(r.ms).toBeLessThan(15_000);
  });

  it("pnpm start --help and pnpm demo --help (the entry points run directly) print the same help", async () => {
    const env = await noRedis();
    const [start, startViaCli] = await Promise.all([entry(START_MAIN, ["--help"], env), sy(["start", "--help"])]);
    expect(start.code).toBe(0);
    expect(start.stdout).toBe(startViaCli.stdout);
    const demo = await entry(DEMO_MAIN, ["-h"], env);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^Usage: \.\/sy demo /);
  });

  it("a coming command's help says it is not built yet", () => {
    expect(commandHelp({ name: "later", summary: "a command still to come", coming: true })).toContain(
      "Not built yet.",
    );
  });

  it("./sy reconcile without STRIPE_SECRET_KEY says what it needs and exits 1", async () => {
    const r = await sy(["reconcile", "--since", "24h"], { env: await noRedis() });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("sy reconcile: STRIPE_SECRET_KEY is not set: Stripe's event list cannot be read\n");
    const help = await sy(["reconcile", "--help"]);
    expect(help.stdout).toMatch(/^ {6}--since <age\|time> /m);
    expect(help.stdout).not.toContain("Not built yet.");
  });
});

describe("commands that run another program", () => {
  const bin = mkdtempSync(join(tmpdir(), "sy-cli-bin-"));
  // A stand-in pnpm: what it was asked to run, and an exit code the CLI must hand back.
  writeFileSync(join(bin, "pnpm"), '#!/bin/sh\necho "pnpm $*"\nexit 7\n', { mode: 0o755 });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const env = { PATH: `${bin}:${process.env.PATH ?? ""}` };

  it("./sy test runs pnpm check with every argument handed on, and exits with its code", async () => {
    const r = await sy(["test", "--filter=@switchyard/events", "--", "-t", "routing"], { env });
    expect(r.stdout).toBe("pnpm check --filter=@switchyard/events -- -t routing\n");
    expect(r.code).toBe(7);
  });

  it("./sy bench runs pnpm bench", async () => {
    const r = await sy(["bench"], { env });
    expect(r.stdout).toBe("pnpm bench\n");
    expect(r.code).toBe(7);
  });
});

describe("options a command does not take", () => {
  it.each([
    [["demo", "--bogus"], "sy demo: unknown option --bogus"],
    [
      ["trigger", "stripe.invoice.paid", "--emial", "a@b.co"],
      'sy trigger: unknown option --emial — did you mean "--email"?',
    ],
    [["trigger", "stripe.invoice.paid", "--url"], "sy trigger: --url needs a value"],
    [["demo", "--once=yes"], "sy demo: --once takes no value"],
    [["start", "now"], 'sy start: unexpected argument "now"'],
    [["trigger", "a", "b"], 'sy trigger: unexpected argument "b"'],
  ])("%j is a clear error, exit 2", async (args, line) => {
    const r = await sy(args, { env: await noRedis() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${line}\nRun ./sy ${args[0]} --help for its options.\n`);
  });

  it("the entry points run directly refuse them too", async () => {
    const r = await entry(START_MAIN, ["--bogus"], await noRedis());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^start: unknown option --bogus\n/);
  });
});

describe("./sy trigger without a running Switchyard", () => {
  const secrets = { STRIPE_WEBHOOK_SECRET: "whsec_cli_test_secret", APP_API_KEYS: "sy_cli_test_key_123" };

  it("--list lists every routed type with its queues", async () => {
    const r = await sy(["trigger", "--list"]);
    expect(r.code).toBe(0);
    for (const [type, queues] of Object.entries(ROUTES)) {
      expect(r.stdout).toMatch(new RegExp(`^  ${type.replaceAll(".", "\\.")} +${queues.join(", ")}$`, "m"));
    }
    expect(r.stdout).not.toContain("no sample yet");
  });

  it("an unknown type suggests the routed one meant", async () => {
    const typo = await sy(["trigger", "stripe.invoice.payed"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /^sy trigger: unknown type "stripe\.invoice\.payed" — did you mean "stripe\.invoice\.paid"\?/,
    );
    const bare = await sy(["trigger", "invoice.paid"]);
    expect(bare.stderr).toContain('did you mean "stripe.invoice.paid"?');
    const none = await sy(["trigger"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^sy trigger: name a type, e\.g\. \.\/sy trigger stripe\.invoice\.paid/);
  });

  it("a missing secret names the variable to set", async () => {
    for (const [type, variable] of [
      ["stripe.invoice.paid", "STRIPE_WEBHOOK_SECRET"],
      ["stripe.account.updated", "STRIPE_CONNECT_WEBHOOK_SECRET"],
      ["hubspot.contact.creation", "HUBSPOT_CLIENT_SECRET"],
      ["zendesk.ticket.created", "ZENDESK_WEBHOOK_SECRET"],
      ["app.user.signed_up", "APP_API_KEYS"],
    ] as const) {
      const r = await sy(["trigger", type]);
      expect(r.code).toBe(78);
      expect(r.stderr).toMatch(new RegExp(`^sy trigger: ${variable} is not set — set it to `));
    }
  });

  it("nothing listening is one line saying to start Switchyard, exit 1", async () => {
    const port = String(await freePort());
    const r = await sy(["trigger", "app.user.signed_up"], { env: { ...secrets, INGEST_PORT: port } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `sy trigger: nothing answers at http://127.0.0.1:${port} (ECONNREFUSED) — is Switchyard running? Start it with ./sy start, or point --url at it\n`,
    );
    expect(r.stdout + r.stderr).not.toContain(secrets.APP_API_KEYS);
  });

  it("with a real provider API configured, it says the workers will call it about made-up ids", async () => {
    const env = { ...secrets, STRIPE_SECRET_KEY: "sk_test_cli_note", INGEST_PORT: String(await freePort()) };
    const r = await sy(["trigger", "stripe.invoice.paid"], { env });
    expect(r.stderr.split("\n")[0]).toMatch(/^note: STRIPE_SECRET_KEY is set: billing-sync looks this sample's/);
    expect(r.stdout + r.stderr).not.toContain(env.STRIPE_SECRET_KEY);
  });

  it("a malformed --email or --url is refused before anything is sent", async () => {
    const email = await sy(["trigger", "app.user.signed_up", "--email", "not-an-email"], { env: secrets });
    expect(email.code).toBe(2);
    expect(email.stderr).toMatch(/^sy trigger: --email must be an email address/);
    const url = await sy(["trigger", "stripe.invoice.paid", "--url", "localhost:3000"], { env: secrets });
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/^sy trigger: --url must be an http\(s\) URL/);
  });
});

describe("./sy demo --once", () => {
  const prefix = uniquePrefix("cli-demo");
  const dataDir = `/tmp/sy-cli-demo-${process.pid}-${Date.now()}`;
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await deleteKeysWithPrefix(prefix);
  });

  it("runs the demo through the CLI, says how a browser signs in, and exits 0", async () => {
    const env = {
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      INGEST_PORT: String(await freePort()),
      ADMIN_PORT: String(await freePort()),
    };
    const r = await sy(["demo", "--once"], { env, timeoutMs: 110_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/signed events sent and processed/);
    expect(r.stdout).toMatch(/^ {2}Console {7}http:\/\/127\.0\.0\.1:\d+\/console {9}\(overview, /m);
    expect(r.stdout).toMatch(
      /^ {2}In a browser {2}open http:\/\/127\.0\.0\.1:\d+\/console, sign in as admin with password \S{16} \(made up for this run\)$/m,
    );
    // A bearer token is no way into the console from a browser, so nothing says to use one there.
    expect(r.stdout).not.toContain("token below");
  }, 120_000);
});
