import { readFileSync } from "node:fs";
import { WORK_QUEUES } from "@switchyard/events";
import { describe, expect, it } from "vitest";
import { WORKERS } from "./workers.ts";

/**
 * The `services:` of a compose file, each with the text of its block. Enough YAML for the file
 * this repository keeps (two-space indentation, one service per key), not a parser.
 */
function composeServices(yaml: string): Map<string, string> {
  const services = new Map<string, string>();
  const block = /^services:\n((?:(?:[ \t].*)?\n)*)/m.exec(yaml)?.[1] ?? "";
  let current: string | undefined;
  for (const line of block.split("\n")) {
    const name = /^ {2}([\w.-]+):\s*$/.exec(line)?.[1];
    if (name) {
      current = name;
      services.set(name, "");
    } else if (current) services.set(current, `${services.get(current)}${line}\n`);
  }
  return services;
}

describe("WORKERS", () => {
  const queues = WORKERS.map((def) => def.queue);

  it("runs one worker for every work queue, and no queue twice", () => {
    expect([...queues].sort()).toEqual([...WORK_QUEUES].sort());
  });

  it("has a docker-compose service for every worker, running that worker's app", () => {
    const services = composeServices(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
    // The other services parse too, so an empty map cannot pass for a missing worker.
    expect([...services.keys()]).toEqual(expect.arrayContaining(["redis", "postgres", "migrate", "ingest", "admin"]));
    for (const queue of queues) {
      expect(services.has(queue), `no service named ${queue}`).toBe(true);
      expect(services.get(queue), `${queue}'s command`).toMatch(
        new RegExp(`command: \\[\\s*"node",\\s*(?:"--[a-z-]+",\\s*)*"apps/${queue}/src/main\\.ts"\\s*\\]`),
      );
    }
  });
});
