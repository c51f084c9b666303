import { SOURCE_NAME } from "@switchyard/events";
import { headerParam, json, jsonSchemaOf, type PathItems, pathParam, ref } from "@switchyard/http";
import { type HeaderDoc, SOURCES, type SourceDocs, type SourceRegistry, standardWebhooks } from "@switchyard/sources";
import { MAX_BODY_BYTES } from "../raw-body.ts";

export interface WebhookDocs {
  paths: PathItems;
  schemas: Record<string, unknown>;
  securitySchemes: Record<string, unknown>;
}

function headerOf(h: HeaderDoc, toleranceSeconds: number) {
  const schema = { type: "string", ...(h.pattern ? { pattern: h.pattern } : {}) };
  const window = /timestamp/i.test(h.name) ? ` Within ${toleranceSeconds} s of receipt, either way.` : "";
  return { ...headerParam(h.name, `${h.description}${window}`, schema), required: h.required };
}

function operation(
  docs: SourceDocs,
  secretVar: string,
  toleranceSeconds: number,
  responses: unknown,
  extra: unknown[],
) {
  return {
    post: {
      tags: ["ingest"],
      summary: docs.summary,
      description: [
        docs.notes,
        `Checked by ingest on the raw body against each ${secretVar} (comma-separated for rotation), ${toleranceSeconds} s tolerance both ways, measured at receipt.`,
        `The body is recorded exactly as sent (at most ${MAX_BODY_BYTES} bytes); a signed body that fails the shape is recorded as rejected and answered 400 invalid_payload. A bad or missing signature answers 401 and writes nothing.`,
      ]
        .filter(Boolean)
        .join(" "),
      security: [{ [docs.schemeName]: [] }],
      parameters: [...extra, ...docs.parameters.map((h) => headerOf(h, toleranceSeconds))],
      requestBody: { required: true, content: json(ref(docs.body.name)) },
      responses,
    },
  };
}

const scheme = (docs: SourceDocs, secretVar: string, toleranceSeconds: number) => ({
  type: "apiKey",
  in: "header",
  name: docs.header,
  description: `${docs.scheme} Secret: ${secretVar}; ${toleranceSeconds} s tolerance.`,
});

/**
 * The webhook paths, body schemas and security schemes, each built from its source's descriptor,
 * so what the document says is what the verifier checks. `responses` is the record-once answer
 * set the app events route shares.
 */
export function webhookDocs(responses: unknown, sources: SourceRegistry = SOURCES): WebhookDocs {
  const docs: WebhookDocs = { paths: {}, schemas: {}, securitySchemes: {} };
  for (const s of sources) {
    docs.paths[`/webhooks/${s.name}`] = operation(s.docs, s.secretVar, s.toleranceSeconds, responses, []);
    docs.schemas[s.docs.body.name] = jsonSchemaOf(s.docs.body.schema);
    docs.securitySchemes[s.docs.schemeName] = scheme(s.docs, s.secretVar, s.toleranceSeconds);
  }
  const generic = standardWebhooks;
  const sourceParam = pathParam(
    "source",
    "Switched on by WEBHOOK_SECRET_<SOURCE>; an unconfigured source answers 404.",
    { type: "string", pattern: SOURCE_NAME.source },
  );
  docs.paths["/webhooks/{source}"] = operation(
    generic.docs,
    "WEBHOOK_SECRET_<SOURCE> (whsec_…)",
    generic.toleranceSeconds,
    responses,
    [sourceParam],
  );
  docs.schemas[generic.docs.body.name] = jsonSchemaOf(generic.docs.body.schema);
  docs.securitySchemes[generic.docs.schemeName] = scheme(
    generic.docs,
    "WEBHOOK_SECRET_<SOURCE>",
    generic.toleranceSeconds,
  );
  return docs;
}
