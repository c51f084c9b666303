import type OpenAIClient from "openai";
import type * as OpenAIErrors from "openai/core/error";
import type { zodResponseFormat } from "openai/helpers/zod";
import type StripeClient from "stripe";

/**
 * The Stripe and OpenAI SDKs are imported on first use, not with this package: every worker and
 * the admin app import it, most never call one of them, and each SDK costs tens of MiB of RSS.
 * An error can only come from an SDK already loaded, so error mapping reads the loaded module.
 */
function once<T>(load: () => Promise<T>) {
  let value: T | undefined;
  let pending: Promise<T> | undefined;
  return {
    load: (): Promise<T> =>
      (pending ??= load().then(
        (v) => {
          value = v;
          return v;
        },
        (err) => {
          pending = undefined;
          throw err;
        },
      )),
    loaded: (): T | undefined => value,
  };
}

export interface OpenAISdk {
  OpenAI: typeof OpenAIClient;
  errors: typeof OpenAIErrors;
  zodResponseFormat: typeof zodResponseFormat;
}

const openai = once<OpenAISdk>(async () => {
  const [main, errors, zod] = await Promise.all([
    import("openai"),
    import("openai/core/error"),
    import("openai/helpers/zod"),
  ]);
  return { OpenAI: main.default, errors, zodResponseFormat: zod.zodResponseFormat };
});
const stripe = once<typeof StripeClient>(async () => (await import("stripe")).default);

export const loadOpenAI = openai.load;
export const loadedOpenAI = openai.loaded;
export const loadStripe = stripe.load;
export const loadedStripe = stripe.loaded;

/** A client made on first use and shared after; a failed import is tried again on the next call. */
export function lazyClient<T>(make: () => Promise<T>): () => Promise<T> {
  return once(make).load;
}
