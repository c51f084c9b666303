export {
  type Config,
  ConfigError,
  type Env,
  type GenericSources,
  loadConfigOrExit,
  parseConfig,
  secretValues,
} from "./config.ts";
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  REDACT_PATHS,
  redact,
  SENSITIVE_KEYS,
} from "./logger.ts";
export { BASE_CONFIG_SHAPE, CONFIG_SHAPE, ConfigSchema, configSchemaFor } from "./schema.ts";
export { safeEqual } from "./secrets.ts";
