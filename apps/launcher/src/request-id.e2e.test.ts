import { appEventRequest } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";

describe("a request id follows an event from ingest into every job it creates", () => {
  let sys: System;
  const logs: string[] = [];
  beforeAll(async () => {
    // LOG_JOBS: a line per job done, each of which must carry the request id.
    sys = await startSystem({ label: "request-id", logs, env: { LOG_JOBS: "true" } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it("every worker log line of the event's jobs carries the caller's X-Request-Id", async () => {
    const requestId = "req-trace-4f2a9c1e";
    const signed = appEventRequest({
      payload: {
        type: "support.requested",
        data: { userId: "u-trace", subject: "Export", message: "The CSV export is empty since Monday." },
      },
      apiKey: KEYS.app,
    });
    const res = await sys.post("/v1/events", { ...signed, headers: { ...signed.headers, "x-request-id": requestId } });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-request-id")).toBe(requestId);
    const { eventId } = (await res.json()) as { eventId: string };
    await sys.waitForIdle();

    const lines = logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const jobLines = lines.filter((l) => l.eventId === eventId);
    const completed = jobLines.filter((l) => l.msg === "job completed");
    // support.requested goes to support-context and ai-triage: one completed line from each.
    expect(completed.map((l) => l.queue).sort()).toEqual(["ai-triage", "support-context"]);
    expect(jobLines.length).toBeGreaterThanOrEqual(2);
    for (const line of jobLines) expect(line, JSON.stringify(line)).toMatchObject({ requestId, worker: line.queue });
    expect(completed[0]).toMatchObject({ level: "info", name: "system-test", time: expect.any(String) });
  });
});
