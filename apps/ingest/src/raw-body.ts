import { ApiError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the body as sent (signatures cover the exact bytes), refusing anything over the limit. */
export async function readRawBody(req: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () => new ApiError("payload_too_large", `request body exceeds ${limit} bytes`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge();
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
