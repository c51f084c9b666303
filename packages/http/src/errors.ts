import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An app's error codes, each answered with one HTTP status. */
export type ErrorTable = Record<string, ContentfulStatusCode>;

/** An error an app answers with on purpose: its code, the status its table gives that code, and headers to send. */
export class HttpError<C extends string = string> extends Error {
  readonly code: C;
  readonly status: ContentfulStatusCode;
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: C, status: ContentfulStatusCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

/** An app's error class: its codes are the table's, so a code outside the table does not compile. */
export interface TableErrorClass<C extends string> {
  new (code: C, message: string, headers?: Record<string, string>): HttpError<C>;
  readonly prototype: HttpError<C>;
}

/**
 * An app's error table and the error class for it. Each app gets a class of its own, so `instanceof`
 * tells its errors from anything else thrown. `name` is what logs show as the error's type.
 */
export function defineErrors<const T extends ErrorTable>(
  name: string,
  table: T,
): { table: T; Error: TableErrorClass<keyof T & string> } {
  const statusOf: Record<keyof T & string, ContentfulStatusCode> = table;
  class TableError extends HttpError<keyof T & string> {
    override readonly name: string = name;
    constructor(code: keyof T & string, message: string, headers: Record<string, string> = {}) {
      super(code, statusOf[code], message, headers);
    }
  }
  return { table, Error: TableError };
}

/** The one error shape: `{"error":{"code","message","requestId"}}`, with the status from the error's table. */
export function errorResponse(c: Context, err: HttpError, headers: Record<string, string> = {}): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "unknown";
  for (const [k, v] of Object.entries({ ...err.headers, ...headers })) c.header(k, v);
  return c.json({ error: { code: err.code, message: err.message, requestId } }, err.status);
}
