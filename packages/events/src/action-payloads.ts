import { z } from "zod";

/** The run of one action the gateway or a reviewer approved: the worker reads the action by id. */
export const ActionExecute = z.object({ actionId: z.uuid() });
export type ActionExecute = z.infer<typeof ActionExecute>;
