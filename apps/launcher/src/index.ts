export { type Launched, launch } from "./launch.ts";
export { requireRedis } from "./redis-check.ts";
