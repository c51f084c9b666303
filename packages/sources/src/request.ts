/** What verification sees: the body exactly as signed, and when it arrived. */
export interface RawRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string;
  receivedAt: number;
}

/** One event to record, as the provider named it. */
export interface Incoming {
  sourceEventId: string;
  type: string;
  payload: unknown;
}

export type Parsed = { ok: true; events: Incoming[] } | { ok: false; message: string; sourceEventId?: string };
