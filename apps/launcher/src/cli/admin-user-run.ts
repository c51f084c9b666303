import { createInterface } from "node:readline";
import {
  isRole,
  MIN_PASSWORD_LENGTH,
  nameProblem,
  normalizeName,
  ROLES,
  saveAccount,
} from "@switchyard/admin/accounts";
import { createDb, deleteAccount, listAccounts, runMigrations } from "@switchyard/db";
import { loadEnv } from "../env.ts";
import { type Args, UsageError } from "./command.ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

/** Asks on the terminal without echoing what is typed. */
function ask(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) write.call(rl, question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
  });
}

async function password(): Promise<string> {
  if (!process.stdin.isTTY) return readStdin();
  const first = await ask("Password: ");
  const again = await ask("Again: ");
  if (first !== again) throw new UsageError("the two passwords differ");
  return first;
}

/** `./sy admin:user add|remove|list`: the exit code. */
export async function runAdminUser(args: Args): Promise<number> {
  const [action, rawName] = args.positionals;
  if (!action || !["add", "remove", "list"].includes(action)) {
    throw new UsageError(`say add, remove or list${action ? ` (not "${action}")` : ""}`);
  }
  const name = normalizeName(rawName ?? "");
  if (action !== "list") {
    if (!rawName) throw new UsageError(`${action} needs an account name`);
    const problem = nameProblem(name);
    if (problem) throw new UsageError(problem);
  } else if (rawName) throw new UsageError(`unexpected argument "${rawName}"`);
  const role = args.values.role;
  if (action === "add" && !isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
  if (action !== "add" && role !== undefined) throw new UsageError("--role is for add");
  const secret = action === "add" ? await password() : "";
  if (action === "add" && secret.length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(`the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }

  const config = loadEnv();
  const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await runMigrations(dbHandle);
    if (action === "add" && isRole(role)) {
      const { created } = await saveAccount(dbHandle.db, { name, role, password: secret });
      process.stdout.write(
        `${created ? "created" : "updated"} ${name} (${role})${created ? "" : "; its sessions ended"}\n`,
      );
      return 0;
    }
    if (action === "remove") {
      if (!(await deleteAccount(dbHandle.db, name))) {
        process.stderr.write(`sy admin:user: no account named ${name}\n`);
        return 1;
      }
      process.stdout.write(`removed ${name}\n`);
      return 0;
    }
    const rows = await listAccounts(dbHandle.db);
    if (rows.length === 0) process.stdout.write("no accounts yet\n");
    for (const r of rows) process.stdout.write(`${r.name}\t${r.role}\t${r.createdAt.toISOString()}\n`);
    return 0;
  } finally {
    await dbHandle.close();
  }
}
