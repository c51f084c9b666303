import type { AccountRole } from "@switchyard/db";

export type Role = AccountRole;

/** Least to most: each role may do what the ones before it may. */
export const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

export const isRole = (value: unknown): value is Role => typeof value === "string" && ROLES.includes(value as Role);
