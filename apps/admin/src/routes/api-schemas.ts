import { REASON_CODES } from "@switchyard/events";
import { z } from "zod";

/** Request bodies of the admin API: the routes parse with them and /openapi.json describes them. */
export const reasonText = z.string().trim().min(3, "say why, in a few words").max(1_000);

export const RetryAllBody = z.object({
  reason: z.enum(REASON_CODES),
  dryRun: z.boolean().default(true),
  note: z.string().max(1_000).optional(),
});

export const DiscardBody = z.object({ note: reasonText });

export const ReplayBody = z.object({ reason: reasonText });

export const OverrideBody = z.object({ status: z.enum(["entitled", "not_entitled"]).nullable(), reason: reasonText });
