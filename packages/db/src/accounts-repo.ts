import { and, asc, eq, gt, lt, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type AccountRole, consoleAccounts, consoleSessions } from "./schema-accounts.ts";

export type AccountRow = typeof consoleAccounts.$inferSelect;

export async function findAccount(db: Db, name: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(consoleAccounts).where(eq(consoleAccounts.name, name)).limit(1);
  return row;
}

export async function listAccounts(db: Db): Promise<Omit<AccountRow, "passwordHash">[]> {
  return db
    .select({
      id: consoleAccounts.id,
      name: consoleAccounts.name,
      role: consoleAccounts.role,
      createdAt: consoleAccounts.createdAt,
      updatedAt: consoleAccounts.updatedAt,
    })
    .from(consoleAccounts)
    .orderBy(asc(consoleAccounts.name));
}

/**
 * Creates the account, or sets the role and password of the one of that name. A changed password
 * ends the account's sessions: whoever knew the old one is signed out.
 */
export async function upsertAccount(
  db: Db,
  input: { name: string; role: AccountRole; passwordHash: string },
): Promise<{ created: boolean }> {
  const existing = await findAccount(db, input.name);
  if (!existing) {
    await db.insert(consoleAccounts).values(input).onConflictDoNothing();
    return { created: true };
  }
  await db
    .update(consoleAccounts)
    .set({ role: input.role, passwordHash: input.passwordHash, updatedAt: sql`now()` })
    .where(eq(consoleAccounts.id, existing.id));
  if (existing.passwordHash !== input.passwordHash) {
    await db.delete(consoleSessions).where(eq(consoleSessions.accountId, existing.id));
  }
  return { created: false };
}

/** Removes the account and, by the foreign key, every session it has. */
export async function deleteAccount(db: Db, name: string): Promise<boolean> {
  const rows = await db
    .delete(consoleAccounts)
    .where(eq(consoleAccounts.name, name))
    .returning({ id: consoleAccounts.id });
  return rows.length > 0;
}

export async function createSession(db: Db, input: { idHash: string; accountId: string; expiresAt: Date }) {
  // Expired rows are never read again; each sign-in sweeps them.
  await db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, sql`now()`));
  await db.insert(consoleSessions).values(input);
}

/** The account a live session belongs to; undefined when unknown, expired, or the account is gone. */
export async function sessionAccount(
  db: Db,
  idHash: string,
): Promise<{ name: string; role: AccountRole; expiresAt: Date } | undefined> {
  const [row] = await db
    .select({ name: consoleAccounts.name, role: consoleAccounts.role, expiresAt: consoleSessions.expiresAt })
    .from(consoleSessions)
    .innerJoin(consoleAccounts, eq(consoleAccounts.id, consoleSessions.accountId))
    .where(and(eq(consoleSessions.idHash, idHash), gt(consoleSessions.expiresAt, sql`now()`)))
    .limit(1);
  return row;
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.delete(consoleSessions).where(eq(consoleSessions.idHash, idHash));
}
