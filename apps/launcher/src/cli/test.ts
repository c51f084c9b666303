import { runChild } from "./child.ts";
import type { Command } from "./command.ts";

export const test: Command = {
  name: "test",
  summary: "lint, typecheck and every test suite, the fault suite included (what CI runs)",
  usage: "[turbo arguments…]",
  details: `Runs \`pnpm check\`: biome, tsc per package, vitest per package through turbo, then the fault suite, and
one closing "tests: N passed, N failed" line. Any arguments are handed on to \`turbo run test\`.
Needs Redis on 127.0.0.1:6379 and Postgres on 127.0.0.1:5432 (user postgres, trust auth).`,
  passthrough: true,
  run: ({ positionals }) => runChild("pnpm", ["check", ...positionals]),
};
