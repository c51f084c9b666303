export { createDispatcher, type Dispatcher, envelopeOf, QueueUnavailableError } from "./dispatch.ts";
export { createRedis, pingRedis, type RedisRole, withTimeout } from "./redis.ts";
export { QueueRegistry, type QueueRegistryOptions } from "./registry.ts";
export { createRelay, type Relay, type RelayOptions } from "./relay.ts";
export { type RunWorkerOptions, runWorker } from "./worker.ts";
export { type RunningWorkers, runWorkerMain, startWorkers, type WorkerDefinition } from "./workers.ts";
