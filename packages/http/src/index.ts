export { defineErrors, type ErrorTable, errorResponse, HttpError, type TableErrorClass } from "./errors.ts";
export { listening, PortInUseError } from "./listen.ts";
export {
  errorResponses,
  errorSchema,
  headerParam,
  json,
  jsonSchemaOf,
  mountPaths,
  type OpenApiDocument,
  type PathItems,
  pathParam,
  queryParam,
  ref,
  undocumentedRoutes,
} from "./openapi.ts";
export { REQUEST_ID_MAX_LENGTH, requestIds } from "./request-id.ts";
