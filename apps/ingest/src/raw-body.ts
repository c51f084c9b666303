import type { IncomingMessage } from "node:http";
import { ApiError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The client closed the connection (or was cut at the request timeout) before its body ended:
 * nobody is left to answer, and it is the client's doing, so it is no error of ingest's.
 */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

/**
 * Reads the body as sent (signatures cover the exact bytes), refusing anything over the limit.
 * Under the Node server it reads the socket's own stream: building a web Request and its stream
 * for every webhook was a tenth of ingest's CPU.
 */
export async function readRawBody(req: Request, incoming?: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () => new ApiError("payload_too_large", `request body exceeds ${limit} bytes`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
  if (incoming) return readIncoming(incoming, limit, tooLarge);
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function readIncoming(incoming: IncomingMessage, limit: number, tooLarge: () => ApiError): Promise<string> {
  // Nothing else reads it; a stream already ended or closed would otherwise read as an empty body.
  if (incoming.readableEnded || incoming.destroyed) {
    return Promise.reject(new Error("the request body was already read or the connection closed"));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (settle: () => void) => {
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onError);
      incoming.off("close", onClose);
      settle();
    };
    // What is left unread after a 413 is drained by the server once the answer is sent.
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done(() => reject(tooLarge()));
      else chunks.push(chunk);
    };
    const onEnd = () => done(() => resolve(Buffer.concat(chunks).toString("utf8")));
    // A stream error here is the connection's: an abort ("aborted", ECONNRESET) or a reset.
    const onError = (err: Error) =>
      done(() => reject(new ClientGoneError("the connection failed before the body ended", { cause: err })));
    const onClose = () => done(() => reject(new ClientGoneError("client closed the connection before the body ended")));
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", onError);
    incoming.once("close", onClose);
  });
}
