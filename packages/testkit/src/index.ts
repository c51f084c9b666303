export { type FakeContact, FakeHubspot } from "./fakes/hubspot.ts";
export {
  BENIGN_TRIAGE,
  type ChatCompletionRequest,
  type ChatMessage,
  FakeOpenAI,
  type Responder,
} from "./fakes/openai.ts";
export { FakeServer, type Fault, type JsonReply, type Received, type Route } from "./fakes/server.ts";
export { FakeStripe } from "./fakes/stripe.ts";
export { type FakeComment, type FakeTicket, FakeZendesk } from "./fakes/zendesk.ts";
export {
  type BillingFixture,
  checkoutCompleted,
  hubspotContactCreated,
  invoicePaid,
  invoicePaymentFailed,
  stripeEvent,
  subscriptionUpdated,
  zendeskTicketCreated,
} from "./fixtures.ts";
export { type PostgresServer, startPostgresServer } from "./pg-server.ts";
export { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from "./postgres.ts";
export {
  deleteKeysWithPrefix,
  freePort,
  type RedisServer,
  startRedisServer,
  TEST_REDIS_URL,
  uniquePrefix,
} from "./redis.ts";
export { rejectionOf } from "./rejection.ts";
export {
  appEventRequest,
  type Signed,
  signHubspot,
  signStandardWebhook,
  signStripe,
  signStripeBody,
  signZendesk,
} from "./signers.ts";
