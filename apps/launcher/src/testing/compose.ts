import { parse } from "yaml";

/** One service of docker-compose.yml, merge keys applied, as the image test reads it. */
export interface ComposeService {
  name: string;
  /** Present when the service is built from a Dockerfile of this repository. */
  build?: { context: string; dockerfile: string; target?: string };
  image?: string;
  /** The exec form; compose's string form would go through a shell and is refused here. */
  command?: string[];
  ports: string[];
  environment: Record<string, string>;
  envFiles: string[];
  healthcheck?: Record<string, unknown>;
  stopGracePeriod?: string;
  raw: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export function composeServices(text: string): Map<string, ComposeService> {
  // Compose applies YAML 1.1 merge keys (`<<: *anchor`); so does this reading.
  const doc: unknown = parse(text, { merge: true });
  const services = new Map<string, ComposeService>();
  const all = isObj(doc) && isObj(doc.services) ? doc.services : {};
  for (const [name, value] of Object.entries(all)) {
    if (!isObj(value)) throw new Error(`service ${name} is not a mapping`);
    const { build, command, environment, env_file: envFile, healthcheck } = value;
    if (command !== undefined && !Array.isArray(command)) throw new Error(`${name}: write command in exec form`);
    if (environment !== undefined && !isObj(environment)) throw new Error(`${name}: write environment as a mapping`);
    services.set(name, {
      name,
      raw: value,
      ...(isObj(build)
        ? {
            build: {
              context: String(build.context ?? "."),
              dockerfile: String(build.dockerfile ?? "Dockerfile"),
              ...(typeof build.target === "string" ? { target: build.target } : {}),
            },
          }
        : {}),
      ...(typeof value.image === "string" ? { image: value.image } : {}),
      ...(command ? { command: strings(command) } : {}),
      ports: strings(value.ports),
      environment: Object.fromEntries(Object.entries(environment ?? {}).map(([k, v]) => [k, String(v ?? "")])),
      envFiles: (Array.isArray(envFile) ? envFile : envFile === undefined ? [] : [envFile]).map((f) =>
        isObj(f) ? String(f.path) : String(f),
      ),
      ...(isObj(healthcheck) ? { healthcheck } : {}),
      ...(typeof value.stop_grace_period === "string" ? { stopGracePeriod: value.stop_grace_period } : {}),
    });
  }
  return services;
}

/**
 * Compose's interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, nested, `$$`) against the variables of the project's .env.
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "$") {
      out += ch;
      continue;
    }
    if (text[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    if (text[i + 1] !== "{") {
      const m = /^[A-Za-z_]\w*/.exec(text.slice(i + 1));
      if (!m) out += "$";
      else {
        out += vars[m[0]] ?? "";
        i += m[0].length;
      }
      continue;
    }
    let depth = 0;
    let end = i + 1;
    for (; end < text.length; end++) {
      if (text[end] === "{") depth++;
      else if (text[end] === "}" && --depth === 0) break;
    }
    const inner = text.slice(i + 2, end);
    const m = /^([A-Za-z_]\w*)(?:(:?[-?+])([\s\S]*))?$/.exec(inner);
    if (!m?.[1]) throw new Error(`invalid interpolation \${${inner}}`);
    const [, name, op, arg = ""] = m;
    const value = vars[name];
    const unset = op?.startsWith(":") ? !value : value === undefined;
    if (!op) out += value ?? "";
    else if (op.endsWith("-")) out += unset ? interpolate(arg, vars) : value;
    else if (op.endsWith("?")) {
      if (unset) throw new Error(`required variable ${name}: ${interpolate(arg, vars)}`);
      out += value;
    } else out += unset ? "" : interpolate(arg, vars);
    i = end;
  }
  return out;
}

/** A .env file as compose reads it: `KEY=value` lines, `#` comments, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(line);
    if (!m?.[1]) continue;
    const raw = (m[2] ?? "").trim();
    vars[m[1]] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw.replace(/\s+#.*$/, "");
  }
  return vars;
}

/**
 * The environment a container of this service starts with: the image's ENV, then each env_file,
 * then `environment` (interpolated), in Docker's order of precedence.
 */
export function serviceEnv(
  service: ComposeService,
  imageEnv: Record<string, string>,
  dotenv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = { ...imageEnv };
  if (service.envFiles.includes(".env")) Object.assign(env, dotenv);
  for (const [k, v] of Object.entries(service.environment)) env[k] = interpolate(v, dotenv);
  return env;
}
