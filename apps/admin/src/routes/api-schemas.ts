import { REASON_CODES } from "@switchyard/events";
import { z } from "zod";
import { AdminError } from "../errors.ts";

/** Request bodies of the admin API: the routes parse with them and /openapi.json describes them. */
export const reasonText = z.string().trim().min(3, "say why, in a few words").max(1_000);

export const RetryAllBody = z.object({
  reason: z.enum(REASON_CODES),
  dryRun: z.boolean().default(true),
  note: z.string().max(1_000).optional(),
});

export const DiscardBody = z.object({ note: reasonText });

/** An approval: an optional note, and params edited by the reviewer (checked again by the policy). */
export const ApproveBody = z.object({
  note: z.string().trim().max(1_000).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

export const RejectBody = z.object({ note: reasonText });

export const ReplayBody = z.object({ reason: reasonText });

export const OverrideBody = z.object({ status: z.enum(["entitled", "not_entitled"]).nullable(), reason: reasonText });

/** The request's JSON body as `schema` parses it; anything else is 400 invalid_request, saying which field. */
export async function parseBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new AdminError("invalid_request", "body must be JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new AdminError(
      "invalid_request",
      parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    );
  }
  return parsed.data;
}
