import type { Command } from "./command.ts";

export const migrate: Command = {
  name: "migrate",
  summary: "apply the database migrations and exit",
  details: `Applies migrations to DATABASE_URL (or the embedded database in DATA_DIR) under an advisory lock,
so several starters never race. ./sy start does this itself; run it once per deploy when the processes
run apart (docker compose's migrate service).`,
  async run() {
    await import("../migrate.ts");
    return undefined;
  },
};
