import { BULL_BOARD_PATH } from "./bull-board.ts";
import { ROLES, type Role } from "./role-names.ts";

export { isRole, ROLES, type Role } from "./role-names.ts";

export const roleAllows = (role: Role, needed: Role) => ROLES.indexOf(role) >= ROLES.indexOf(needed);

/** Changing what a customer is entitled to, and who may sign in, are the admin's. */
const ADMIN_ONLY = [/^\/(api|console)\/customers\/[^/]+\/override\/?$/, /^\/(api|console)\/accounts(\/|$)/];

/**
 * Bull Board's writes an operator may make: retry and promote (a queue's or one job's), and
 * cleaning one job (the discard). Pausing, emptying, obliterating, adding and editing jobs, limits
 * and schedulers change the queue itself: admin only.
 */
const BULL_BOARD_OPERATOR = new RegExp(
  `^${BULL_BOARD_PATH}/api/queues/[^/]+/(retry/[^/]+|promote|[^/]+/(retry|promote|clean))/?$`,
);

/**
 * The least role a request needs. Reading is everyone's; a write is an operator's (retry, discard,
 * replay, review decisions) unless it is listed as an admin's above; a write anywhere else (a route
 * added later, outside the console, /api and Bull Board) needs an admin until someone says otherwise.
 */
export function requiredRole(method: string, path: string): Role {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return "viewer";
  if (ADMIN_ONLY.some((re) => re.test(path))) return "admin";
  if (path.startsWith(`${BULL_BOARD_PATH}/`)) return BULL_BOARD_OPERATOR.test(path) ? "operator" : "admin";
  if (path.startsWith("/api/") || path.startsWith("/console/")) return "operator";
  return "admin";
}
