export {
  type ModelContext,
  obedientActionModel,
  PRIVILEGED_ACTION_TYPES,
  type ProposedToolCall,
  stealthyActionModel,
} from "./compromised-models.ts";
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
export { parseStripeForm, StripeMoney } from "./fakes/stripe-money.ts";
export { type FakeComment, type FakeTicket, type FakeUser, FakeZendesk } from "./fakes/zendesk.ts";
export {
  type BillingFixture,
  checkoutCompleted,
  hubspotContactCreated,
  invoicePaid,
  invoicePaymentFailed,
  providerExample,
  stripeEvent,
  subscriptionUpdated,
  zendeskTicketCreated,
  zendeskUserId,
} from "./fixtures.ts";
export {
  accountUpdated,
  chargeEvent,
  chargeObject,
  checkoutPaymentCompleted,
  disputeEvent,
  type OrderFixture,
  orderCreatedEvent,
  orderFixture,
  paymentIntentEvent,
  paymentIntentObject,
  paymentSession,
  payoutFailed,
} from "./fixtures-orders.ts";
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
export {
  type ClusterNodeInfo,
  onNode,
  parseClusterNodes,
  type RedisProcess,
  startRedisCluster,
  startReplicatedPair,
  startSentinelSet,
  type TestCluster,
  type TestReplicatedPair,
  type TestSentinels,
} from "./redis-topology.ts";
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
export {
  type HalfOpenProxy,
  type MovableProxy,
  type SlowProxy,
  startHalfOpenProxy,
  startMovableProxy,
  startSlowProxy,
} from "./tcp-proxy.ts";
