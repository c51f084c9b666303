import { type Db, findAccount, upsertAccount } from "@switchyard/db";
import type { AdminCredentials } from "./env-types.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import type { Role } from "./role-names.ts";

export { isRole, ROLES } from "./role-names.ts";

/** What `admin:user` and ADMIN_PASSWORD outside development must reach. */
export const MIN_PASSWORD_LENGTH = 12;

/** Lower case, so "Ops" and "ops" are one account; what an audit line and a URL can show as is. */
export const ACCOUNT_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export const normalizeName = (name: string) => name.trim().toLowerCase();

/** Why the name cannot be an account's, or undefined. */
export function nameProblem(name: string): string | undefined {
  return ACCOUNT_NAME.test(name)
    ? undefined
    : "an account name is 1-64 characters: lower-case letters, digits and . _ @ -, starting with a letter or digit";
}

/** Creates the account or sets its role and password; a new password signs its sessions out. */
export async function saveAccount(
  db: Db,
  input: { name: string; role: Role; password: string },
): Promise<{ created: boolean }> {
  const name = normalizeName(input.name);
  const problem = nameProblem(name);
  if (problem) throw new Error(problem);
  if (input.password.length === 0) throw new Error("the password is empty");
  return upsertAccount(db, { name, role: input.role, passwordHash: await hashPassword(input.password) });
}

/**
 * ADMIN_USER/ADMIN_PASSWORD name an admin account: created on the first start, and set back to
 * that password and the admin role on every start after, so the environment always gets in (in
 * development the password is made up anew each run). Other accounts come from `admin:user`.
 */
export async function bootstrapAccounts(db: Db, creds: AdminCredentials): Promise<void> {
  if (!creds.user || !creds.password) return;
  const name = normalizeName(creds.user);
  if (nameProblem(name)) return;
  const existing = await findAccount(db, name);
  if (existing?.role === "admin" && (await verifyPassword(creds.password, existing.passwordHash))) return;
  await saveAccount(db, { name, role: "admin", password: creds.password });
}
