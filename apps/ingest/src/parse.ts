export { type Incoming, type Parsed, parseAppEvent } from "@switchyard/sources";
