export { actions } from "./worker.ts";
