export { newApp } from "./app.ts";
export type { AppEnv, IngestDeps } from "./env-types.ts";
export { ERROR_STATUS, type ErrorCode } from "./errors.ts";
export {
  errorResponses,
  errorSchema,
  ingestOpenApi,
  json,
  jsonSchemaOf,
  type OpenApiDocument,
  ref,
  undocumentedRoutes,
} from "./openapi.ts";
export { type IngestServer, startIngest } from "./server.ts";
