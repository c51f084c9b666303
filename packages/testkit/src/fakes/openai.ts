import { randomBytes } from "node:crypto";
import { FakeServer, type JsonReply, type Received } from "./server.ts";

export interface ChatMessage {
  role: string;
  content: string | { type: string; text?: string }[] | null;
}

/** The body the openai SDK posts to /v1/chat/completions (the parts a test looks at). */
export interface ChatCompletionRequest {
  model?: string;
  messages?: ChatMessage[];
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name?: string; strict?: boolean; schema?: unknown } };
  [key: string]: unknown;
}

/**
 * Computes the assistant's answer from the last user message. An object (or any non-string) is
 * sent as JSON text; a string is sent verbatim, so tests can return non-JSON output.
 */
export type Responder = (userText: string, request: ChatCompletionRequest) => unknown;

/** A benign, schema-valid triage result, shaped as a strict structured-output model returns it. */
export const BENIGN_TRIAGE = {
  intent: "how_to",
  urgency: "low",
  sentiment: "neutral",
  summary: "Customer asks how to export their data to CSV.",
  draftReply: "Thanks for your question! You can export your data from Settings → Export; choose CSV and click Export.",
  proposedActions: [
    { type: "tag", value: "how_to", reason: null },
    { type: "set_priority", value: "low", reason: null },
    { type: "attach_draft", value: null, reason: null },
  ],
} as const;

const COMPLETIONS_PATH = "/v1/chat/completions";

/**
 * OpenAI's Chat Completions endpoint as the openai SDK calls it (baseURL = `${fake.url}/v1`).
 * Checks the bearer key, records every request, answers with a completion whose content is the
 * responder's JSON, with a realistic `usage` block, and takes the FakeServer faults (hang,
 * latency, 429 with or without retry-after, 5xx) plus OpenAI-shaped helpers for them.
 */
export class FakeOpenAI extends FakeServer {
  apiKey: string;
  /** The model name reported back: OpenAI answers with the dated snapshot it actually ran. */
  snapshotOf: (model: string) => string;
  private responder: Responder = () => BENIGN_TRIAGE;
  private finishReason: "stop" | "length" | "content_filter" = "stop";
  private refusal: string | null = null;

  constructor(opts: { apiKey?: string; snapshotOf?: (model: string) => string } = {}) {
    super((req) => this.routeFor(req));
    this.apiKey = opts.apiKey ?? "sk-fake-openai-key-0123456789";
    this.snapshotOf =
      opts.snapshotOf ?? ((model) => (/\d{4}-\d{2}-\d{2}$/.test(model) ? model : `${model}-2024-07-18`));
  }

  static async start(opts: { apiKey?: string; snapshotOf?: (model: string) => string } = {}): Promise<FakeOpenAI> {
    return new FakeOpenAI(opts).start();
  }

  /** The SDK's baseURL for this fake. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Answer every following completion with `fn(userText)`; see {@link Responder}. */
  respondWith(fn: Responder): void {
    this.responder = fn;
  }

  /** Make the model refuse (message.refusal set, content null). `null` turns it off. */
  refuseWith(text: string | null): void {
    this.refusal = text;
  }

  /** The finish_reason of following completions ("length": output cut off at the token limit). */
  finishWith(reason: "stop" | "length" | "content_filter"): void {
    this.finishReason = reason;
  }

  /** Back to the benign default answer, no refusal, finish "stop"; clears faults and the request log. */
  reset(): void {
    this.received.length = 0;
    this.responder = () => BENIGN_TRIAGE;
    this.refusal = null;
    this.finishReason = "stop";
    this.heal();
  }

  /** OpenAI's 429, optionally with `retry-after` (seconds) as the API sends it. */
  rateLimit(opts: { retryAfterSeconds?: number; times?: number } = {}): void {
    this.fail({
      status: 429,
      body: openAiError(
        "Rate limit reached for requests. Limit: 500, Used: 500, Requested: 1. Please try again later.",
        "requests",
        "rate_limit_exceeded",
      ),
      headers: {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "0",
        ...(opts.retryAfterSeconds !== undefined ? { "retry-after": String(opts.retryAfterSeconds) } : {}),
      },
      ...(opts.times !== undefined ? { times: opts.times } : {}),
    });
  }

  /** OpenAI's 5xx answer (500 unless told otherwise). */
  serverError(opts: { status?: number; times?: number } = {}): void {
    this.fail({
      status: opts.status ?? 500,
      body: openAiError(
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        null,
      ),
      ...(opts.times !== undefined ? { times: opts.times } : {}),
    });
  }

  /** The recorded chat completion requests, oldest first. */
  completions(): (Received & { body: ChatCompletionRequest })[] {
    return this.received.filter((r) => r.method === "POST" && pathOf(r) === COMPLETIONS_PATH) as (Received & {
      body: ChatCompletionRequest;
    })[];
  }

  lastCompletion(): (Received & { body: ChatCompletionRequest }) | undefined {
    return this.completions().at(-1);
  }

  private routeFor(req: Received) {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      return (): JsonReply => ({
        status: 401,
        body: openAiError(
          presented
            ? `Incorrect API key provided: ${mask(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.`
            : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          "invalid_request_error",
          presented ? "invalid_api_key" : null,
        ),
      });
    }
    if (req.method === "POST" && pathOf(req) === COMPLETIONS_PATH) return () => this.complete(req);
    return undefined;
  }

  private complete(req: Received): JsonReply {
    const body = (req.body ?? {}) as ChatCompletionRequest;
    if (typeof body.model !== "string" || !body.model) {
      return {
        status: 400,
        body: openAiError("you must provide a model parameter", "invalid_request_error", null, "model"),
      };
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return {
        status: 400,
        body: openAiError("[] is too short - 'messages'", "invalid_request_error", "empty_array", "messages"),
      };
    }
    const userText = textOf(body.messages.filter((m) => m.role === "user").at(-1));
    const answer = this.refusal === null ? this.responder(userText, body) : undefined;
    const content = this.refusal !== null ? null : typeof answer === "string" ? answer : JSON.stringify(answer);
    const promptText = body.messages.map(textOf).join("\n");
    const schemaText = body.response_format ? JSON.stringify(body.response_format) : "";
    const promptTokens = tokens(promptText) + tokens(schemaText) + 4 * body.messages.length + 3;
    const completionTokens = tokens(content ?? this.refusal ?? "");
    return {
      status: 200,
      headers: {
        "openai-processing-ms": "412",
        "x-request-id": `req_${randomBytes(16).toString("hex")}`,
      },
      body: {
        id: `chatcmpl-${randomBytes(15).toString("base64url")}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: this.snapshotOf(body.model),
        choices: [
          {
            index: 0,
            message: { role: "assistant", content, refusal: this.refusal, annotations: [] },
            logprobs: null,
            finish_reason: this.finishReason,
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: 0,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: "default",
        system_fingerprint: "fp_fake0openai",
      },
    };
  }
}

function openAiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** How OpenAI echoes a wrong key: first and last characters only. */
function mask(key: string): string {
  return key.length <= 8 ? "***" : `${key.slice(0, 3)}${"*".repeat(8)}${key.slice(-4)}`;
}

function pathOf(req: Received): string {
  return req.path.split("?")[0] ?? req.path;
}

function textOf(message: ChatMessage | undefined): string {
  if (!message || message.content == null) return "";
  if (typeof message.content === "string") return message.content;
  return message.content.map((part) => part.text ?? "").join("");
}

/** Roughly four characters a token, as OpenAI's tokenizers average on English text. */
function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}
