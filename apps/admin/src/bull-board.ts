import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import type { QueueRegistry } from "@switchyard/queue";

export const BULL_BOARD_PATH = "/queues";

/** Every work queue and every failure queue; `failed.<reason>` queues group under "failed". */
export function bullBoard(registry: QueueRegistry) {
  const serverAdapter = new HonoAdapter(serveStatic);
  createBullBoard({
    queues: [
      ...registry.all().map((q) => new BullMQAdapter(q, { description: "work queue" })),
      ...registry
        .failures()
        .map(
          (q) => new BullMQAdapter(q, { delimiter: ".", description: "failures: Retry re-drives the original job" }),
        ),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: "Switchyard" } },
  });
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  return serverAdapter.registerPlugin();
}
