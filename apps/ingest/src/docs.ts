import { errorResponses, json, ref } from "@switchyard/http";
import { ERROR_STATUS, type ErrorCode } from "./errors.ts";

/** What more than one route's description says: error responses by code, and the record-once answers. */
export const errorDocs = (codes: ErrorCode[]) => errorResponses(codes, ERROR_STATUS, "IngestError");

/** The answers of a route that records events (webhooks and app events), plus the codes only that route adds. */
export const recordResponses = (extra: ErrorCode[]) => ({
  "200": { description: "Already recorded: counted, not processed again.", content: json(ref("IngestDuplicate")) },
  "202": { description: "Recorded and enqueued to the routed queues.", content: json(ref("IngestAccepted")) },
  ...errorDocs([
    "invalid_payload",
    "auth_failed",
    "payload_too_large",
    "queue_unavailable",
    "database_unavailable",
    ...extra,
  ]),
});
