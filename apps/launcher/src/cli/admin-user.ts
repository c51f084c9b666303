import type { Command } from "./command.ts";

export const adminUser: Command = {
  name: "admin:user",
  summary: "manage the people who can sign in to the console",
  usage: "add <name> --role <role> | remove <name> | list",
  details: `Accounts live in the database (DATABASE_URL, or the embedded one in DATA_DIR: stop ./sy start first).
  add <name> --role viewer|operator|admin   create the account, or set its role and password (its sessions end)
  remove <name>                             delete the account and end its sessions
  list                                      every account and its role
The password is asked for twice on a terminal, or read from standard input (one line), and needs at
least 12 characters. viewer reads everything; operator also retries, discards, replays and decides
reviews; admin also overrides entitlements and manages accounts.

Examples:
  pnpm admin:user add grace --role operator
  printf '%s\\n' "$PASSWORD" | ./sy admin:user add ci-viewer --role viewer`,
  positionals: 2,
  options: {
    role: { type: "string", value: "role", description: "viewer, operator or admin (add only)" },
  },
  async run(args) {
    const { runAdminUser } = await import("./admin-user-run.ts");
    return runAdminUser(args);
  },
};
