export { newApp } from "./app.ts";
export type { AppEnv, IngestDeps } from "./env-types.ts";
export { ERROR_STATUS, type ErrorCode } from "./errors.ts";
export { ingestOpenApi } from "./openapi.ts";
export { createRefusalCounter, type RefusalCounter } from "./refusal-counter.ts";
export { type IngestServer, startIngest } from "./server.ts";
