import type { z } from "zod";
import type { Parsed, RawRequest } from "./request.ts";

/** The process-wide settings a source may read besides its own variables. */
export interface HostConfig {
  NODE_ENV: string;
  INGEST_PUBLIC_URL?: string | undefined;
}

/** What a signer needs to sign a body as the provider would. */
export interface SignInput {
  body: string;
  secret: string;
  /** The full URL the provider calls (HubSpot signs it). */
  url: string;
  method?: string;
  /** Milliseconds since the epoch; now when absent. */
  now?: number;
  /** The delivery's id, for schemes that sign one (Standard Webhooks). */
  id?: string;
}

/** A header verification reads, documented in OpenAPI beside the signature header. */
export interface HeaderDoc {
  name: string;
  description: string;
  required: boolean;
  pattern?: string;
}

export interface SourceDocs {
  summary: string;
  /** What the signature covers, in one sentence; the OpenAPI security scheme's description. */
  scheme: string;
  /** components.securitySchemes key. */
  schemeName: string;
  /** The header carrying the signature. */
  header: string;
  /** Every other header verification or parsing reads. */
  parameters: readonly HeaderDoc[];
  /** components.schemas key and the zod shape the body is validated with. */
  body: { name: string; schema: z.ZodType };
  notes?: string;
}

/**
 * Everything about one webhook source with a signature scheme of its own. The webhook route, the
 * reserved source names, the config schema's variables, secret redaction, the OpenAPI document,
 * `./sy trigger` and the docs are derived from these.
 */
export interface SourceDescriptor<S extends z.ZodRawShape = z.ZodRawShape> {
  /** The path segment (`/webhooks/<name>`), the events' `source` and the routing prefix. */
  name: string;
  title: string;
  /** Its own variables; secrets marked with `secret()` where they are defined. */
  env: S;
  /** The variable holding the signing secret(s), comma-separated for rotation. */
  secretVar: keyof S & string;
  /** How far a signature's timestamp may be from arrival, both ways. */
  toleranceSeconds: number;
  /** Where in the provider's dashboard the URL and secret go. */
  setup: string;
  /** The signing secrets configured; none means the source is off (404). */
  secrets(config: z.output<z.ZodObject<S>> & HostConfig): readonly string[];
  verify(req: RawRequest, config: z.output<z.ZodObject<S>> & HostConfig): boolean;
  parse(req: RawRequest): Parsed;
  /** The headers the provider would send with `body`. */
  sign(input: SignInput): Record<string, string>;
  docs: SourceDocs;
  /**
   * Checked when ingest starts with the source configured: `refuse` stops the process with that
   * message (a variable it cannot do without here), `warn` is logged once.
   */
  startCheck?(config: z.output<z.ZodObject<S>> & HostConfig): StartCheck | undefined;
}

export interface StartCheck {
  refuse?: string;
  warn?: string;
}

/** What the registry holds: any descriptor, called with the whole parsed config. */
export interface AnySource extends Omit<SourceDescriptor, "secretVar" | "secrets" | "verify" | "startCheck"> {
  secretVar: string;
  secrets(config: SourceConfig): readonly string[];
  verify(req: RawRequest, config: SourceConfig): boolean;
  startCheck?(config: SourceConfig): StartCheck | undefined;
}

type Typed<S extends z.ZodRawShape> = Omit<AnySource, "env"> & { env: S };

/** The parsed config as a source sees it: its own variables are in it, by construction. */
export type SourceConfig = HostConfig & Readonly<Record<string, unknown>>;

/**
 * Typed where it is written (the callbacks see the source's own variables), erased for the
 * registry: the config schema is built from every registered source's `env`, so the config a
 * callback receives always holds them.
 */
export function defineSource<S extends z.ZodRawShape>(descriptor: SourceDescriptor<S>): Typed<S> {
  return descriptor as unknown as Typed<S>;
}
