import { approveReview, type DecisionResult, listReviews, type ReviewFilter, rejectReview } from "@switchyard/domain";
import type { AdminDeps } from "./env-types.ts";
import { AdminError } from "./errors.ts";

type Ops = Pick<AdminDeps, "db" | "dispatcher" | "logger">;

export interface ReviewOutcome {
  id: string;
  status: "approved" | "rejected";
  /** True when this item had been decided so already: the repeat changed nothing. */
  already: boolean;
  actionId: string | null;
}

function refusal(result: DecisionResult, id: string): never {
  if (result.kind === "not_found") throw new AdminError("not_found", `no review item ${id.slice(0, 40)}`);
  if (result.kind === "refused") {
    const code = result.code === "invalid_params" ? "invalid_request" : "conflict";
    throw new AdminError(code, `${result.code}: ${result.reason}`);
  }
  if (result.kind === "decided_otherwise")
    throw new AdminError("conflict", `the item was already ${result.decision ?? "decided"}`);
  throw new AdminError("internal_error", "unexpected review decision");
}

/**
 * Approve, for the API and the console alike: the domain moves the item once (audited with the
 * approver), and its run is handed to the actions queue; a repeat answers `already` and sends
 * the same job id again, which BullMQ ignores, so an answer lost on the way back costs nothing.
 */
export async function approveOne(
  ops: Ops,
  actor: string,
  id: string,
  input: { note?: string | undefined; params?: unknown },
): Promise<ReviewOutcome> {
  const result = await approveReview(ops.db, id, {
    actor,
    note: input.note ?? "",
    ...(input.params === undefined ? {} : { params: input.params }),
  });
  if (result.kind !== "approved") refusal(result, id);
  if (result.execute?.status === "received") {
    await ops.dispatcher
      .dispatch(result.execute)
      .catch((err: unknown) => ops.logger.warn("approval recorded; its run is left to the relay", { err }));
  }
  return { id, status: "approved", already: result.already, actionId: result.action?.id ?? null };
}

export async function rejectOne(ops: Ops, actor: string, id: string, note: string): Promise<ReviewOutcome> {
  const result = await rejectReview(ops.db, id, { actor, note });
  if (result.kind !== "rejected") refusal(result, id);
  return { id, status: "rejected", already: result.already, actionId: null };
}

export const reviewsOf = (ops: Ops, filter: ReviewFilter) => listReviews(ops.db, filter);
