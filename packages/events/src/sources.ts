/** First-party events posted to /v1/events are recorded under this source. */
export const APP_SOURCE = "app";

/** Names a generic source may take: it ends up in URLs, env var names and queue data. */
export const SOURCE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** WEBHOOK_SECRET_<SOURCE> is how a generic source is switched on. */
export function genericSourceSecretVar(source: string): string {
  return `WEBHOOK_SECRET_${source.toUpperCase()}`;
}
