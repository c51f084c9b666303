import type { Command } from "./command.ts";

/** Named in `./sy help` so the list is the whole plan; running one says it is not built yet. */
export const coming: Command[] = [];
