import type { Command } from "./command.ts";

/** What `./sy start --help` says; the command is run from commands.ts, so the entry file can read this without a cycle. */
export const start: Command = {
  name: "start",
  summary: "run Switchyard: migrations, ingest, admin and every worker in one process",
  details: `Ingest listens on INGEST_PORT (3000), admin, the console and Bull Board on ADMIN_PORT (3001).
The database is embedded (PGlite in DATA_DIR) unless DATABASE_URL is set; Redis (REDIS_URL) is required.
Everything is configured by the environment; .env.example documents each variable.
In development it prints the console's URL and, unless ADMIN_USER and ADMIN_TOKEN are set, a sign-in (admin and a
password) and a token made up for this run. Outside development admin needs ADMIN_TOKEN (32+ characters) or
ADMIN_USER and ADMIN_PASSWORD (12+). More accounts: ./sy admin:user.
Stops cleanly on Ctrl-C or SIGTERM.`,
};
