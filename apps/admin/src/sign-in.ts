import {
  type AccountRow,
  clearLoginFailures,
  type Db,
  findAccount,
  loginBlockedUntil,
  recordLoginFailure,
  type ThrottleRule,
} from "@switchyard/db";
import { normalizeName } from "./accounts.ts";
import { decoyHash, verifyPassword } from "./passwords.ts";

/**
 * Twenty wrong passwords for one name cost nothing; then each further one doubles the wait, up to
 * five minutes: slow enough to make guessing hopeless, short enough that an attacker cannot keep
 * the owner out for long. Names that do not exist count the same, so the delay tells nothing.
 */
export const ACCOUNT_RULE: ThrottleRule = { free: 20, baseMs: 1_000, maxMs: 5 * 60_000, forgetMs: 60 * 60_000 };

/** One address trying many names (a spray): more leeway, as people share addresses behind NAT. */
export const ADDRESS_RULE: ThrottleRule = { free: 100, baseMs: 1_000, maxMs: 5 * 60_000, forgetMs: 60 * 60_000 };

export type SignInResult = { ok: true; account: AccountRow } | { ok: false; retryAfterSeconds?: number };

/**
 * Checks a name and password. While a delay is running for the name or the address the password is
 * not even tried (and the attempt not counted); otherwise a wrong one, or an unknown name, costs the
 * same scrypt and counts against both.
 */
export async function signIn(
  db: Db,
  input: { name: string; password: string; address: string },
): Promise<SignInResult> {
  const name = normalizeName(input.name).slice(0, 64);
  const keys = { account: `account:${name}`, address: `address:${input.address}` };
  const blocked = await loginBlockedUntil(db, [keys.account, keys.address]);
  if (blocked) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((blocked.getTime() - Date.now()) / 1000)) };
  const account = name ? await findAccount(db, name) : undefined;
  const matches = await verifyPassword(input.password, account?.passwordHash ?? (await decoyHash()));
  if (account && matches) {
    await clearLoginFailures(db, keys.account);
    return { ok: true, account };
  }
  await recordLoginFailure(db, keys.account, ACCOUNT_RULE);
  await recordLoginFailure(db, keys.address, ADDRESS_RULE);
  return { ok: false };
}
