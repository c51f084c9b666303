import {
  type Command,
  closest,
  commandHelp,
  commandList,
  didYouMean,
  EXIT_USAGE,
  parse,
  UsageError,
} from "./command.ts";
import { COMMANDS } from "./commands.ts";

const HELP_WORDS = new Set(["help", "--help", "-h"]);

function overview(): string {
  return `./sy — Switchyard's command line

Usage: ./sy <command> [options]

Commands:
${commandList(COMMANDS)}

./sy <command> --help shows a command's options. Configuration comes from the environment;
.env.example documents every variable.
`;
}

function unknown(name: string): number {
  const hint = didYouMean(
    closest(
      name,
      COMMANDS.map((c) => c.name),
    ),
  );
  process.stderr.write(`sy: unknown command "${name}"${hint}\n\nCommands:\n${commandList(COMMANDS)}\n`);
  return EXIT_USAGE;
}

async function runCommand(cmd: Command, argv: readonly string[]): Promise<number | undefined> {
  try {
    const args = parse(cmd, argv);
    if (args === "help") {
      process.stdout.write(commandHelp(cmd));
      return 0;
    }
    if (cmd.coming || !cmd.run) {
      process.stderr.write(`sy: ${cmd.name} is not built yet (coming)\n`);
      return EXIT_USAGE;
    }
    return await cmd.run(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`sy ${cmd.name}: ${err.message}\nRun ./sy ${cmd.name} --help for its options.\n`);
    return EXIT_USAGE;
  }
}

/** The exit code, or undefined while the command keeps running (start, demo). */
export async function dispatch(argv: readonly string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined || HELP_WORDS.has(name)) {
    // `./sy help trigger` reads like `./sy trigger --help`.
    const topic = name === "help" ? rest[0] : undefined;
    if (topic === undefined) {
      process.stdout.write(overview());
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.name === topic);
    if (!cmd) return unknown(topic);
    process.stdout.write(commandHelp(cmd));
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  return cmd ? runCommand(cmd, rest) : unknown(name);
}

if (import.meta.main) {
  const code = await dispatch(process.argv.slice(2));
  if (code !== undefined) {
    // Both streams drained first: exit() would cut a piped help text short.
    await new Promise((resolve) => process.stdout.write("", resolve));
    await new Promise((resolve) => process.stderr.write("", resolve));
    process.exit(code);
  }
}
