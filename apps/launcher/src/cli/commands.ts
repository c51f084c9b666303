import { adminUser } from "./admin-user.ts";
import { bench } from "./bench.ts";
import { coming } from "./coming.ts";
import type { Command } from "./command.ts";
import { demo } from "./demo.ts";
import { doctor } from "./doctor.ts";
import { migrate } from "./migrate.ts";
import { reconcile } from "./reconcile.ts";
import { start } from "./start.ts";
import { test } from "./test.ts";
import { trigger } from "./trigger.ts";

/** Runs an entry file in this process, so its own SIGINT/SIGTERM handling is what stops it. */
const inProcess = (cmd: Command, load: () => Promise<unknown>): Command => ({
  ...cmd,
  async run() {
    await load();
    return undefined;
  },
});

/** In the order `./sy help` lists them: the everyday ones first. */
export const COMMANDS: readonly Command[] = [
  inProcess(start, () => import("../main.ts")),
  test,
  // demo.ts reads --once from process.argv itself, which still holds it here.
  inProcess(demo, () => import("../demo.ts")),
  trigger,
  migrate,
  bench,
  reconcile,
  doctor,
  adminUser,
  ...coming,
];
