import { errorResponses, json, ref } from "@switchyard/http";
import { ADMIN_ERROR_STATUS, type AdminErrorCode } from "../errors.ts";

/** What every admin route's description shares. */
export const tags = ["admin"];

/** Auth runs in front of every route, so each can answer 401 besides the codes given. */
export const adminError = (...codes: AdminErrorCode[]) =>
  errorResponses(["unauthorized", ...codes], ADMIN_ERROR_STATUS, "AdminError");

export const ok = (description: string, schema: unknown) => ({ "200": { description, content: json(schema) } });

/** A required JSON body, described by the component of that name. */
export const requestBody = (name: string) => ({ required: true, content: json(ref(name)) });

export const uuid = { type: "string", format: "uuid" };

export const FAILURE_STATUSES = ["open", "retrying", "resolved", "discarded"];
