export { anySecret, FIVE_MINUTES_MS, hmacBase64, safeEqual, withinWindow } from "./compare.ts";
export {
  type AnySource,
  defineSource,
  type HeaderDoc,
  type HostConfig,
  type SignInput,
  type SourceConfig,
  type SourceDescriptor,
  type SourceDocs,
  type StartCheck,
} from "./define.ts";
export { HUBSPOT_PUBLIC_URL_REFUSAL, hubspot, verifyHubspot } from "./hubspot.ts";
export { parseAppEvent, parseWith } from "./parse.ts";
export {
  reservedSourceNames,
  routedTypesOf,
  SOURCES,
  type SourceRegistry,
  type SourcesEnvShape,
  sourceEnvShape,
  sourceNamed,
  startChecks,
} from "./registry.ts";
export type { Incoming, Parsed, RawRequest } from "./request.ts";
export { standardWebhooks, verifyStandardWebhook } from "./standard-webhooks.ts";
export { MAX_JSON_DEPTH, type Storable, storableJson, storableText } from "./storable.ts";
export { STRIPE_TOLERANCE_SECONDS, stripe, verifyStripe } from "./stripe.ts";
export { verifyZendesk, zendesk } from "./zendesk.ts";
