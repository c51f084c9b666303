// Reading infra/k8s for k8s.test.ts: every YAML document, the kustomizations that tie them
// together, each object's Kubernetes schema, and the figures the checks compare (grace periods,
// replica ceilings, environment).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
export const K8S_DIR = join(ROOT, "infra", "k8s");

/** A Kubernetes object as written: only the fields the checks read are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are free-form; each check reads the path it needs.
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  /** Where it was read, for messages. */
  file: string;
}

export interface Kustomization {
  file: string;
  resources: string[];
  images: { name: string }[];
}

export interface Manifests {
  objects: K8sObject[];
  kustomizations: Kustomization[];
  files: string[];
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** Every document of every YAML file under infra/k8s; a parse error or warning throws. */
export function readManifests(dir = K8S_DIR): Manifests {
  const objects: K8sObject[] = [];
  const kustomizations: Kustomization[] = [];
  const files = yamlFiles(dir).sort();
  for (const file of files) {
    const rel = relative(dir, file);
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const problems = [...doc.errors, ...doc.warnings];
      if (problems.length > 0) throw new Error(`${rel}: ${problems.map((p) => p.message).join("; ")}`);
      const value = doc.toJS() as Record<string, unknown> | null;
      if (value === null) continue;
      if (value.kind === "Kustomization") {
        kustomizations.push({
          file: rel,
          resources: (value.resources as string[] | undefined) ?? [],
          images: (value.images as { name: string }[] | undefined) ?? [],
        });
      } else {
        objects.push({ ...(value as unknown as K8sObject), file: rel });
      }
    }
  }
  return { objects, kustomizations, files: files.map((f) => relative(dir, f)) };
}

/** The files a kustomization builds from, its directories' kustomizations followed. */
export function kustomizedFiles(k: Kustomization, all: Kustomization[], dir = K8S_DIR): string[] {
  const base = dirname(join(dir, k.file));
  return k.resources.flatMap((r) => {
    const path = resolve(base, r);
    if (statSync(path).isDirectory()) {
      const inner = all.find((o) => resolve(dir, dirname(o.file)) === path);
      if (!inner) throw new Error(`${k.file}: ${r} has no kustomization.yaml`);
      return [relative(dir, join(path, "kustomization.yaml")), ...kustomizedFiles(inner, all, dir)];
    }
    return [relative(dir, path)];
  });
}

type Validator = { validate(): void };
type ModelClass = new (data: unknown) => Validator;

/** The module of kubernetes-models (or a per-group package) that holds an apiVersion's models. */
function modelModule(apiVersion: string): string {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/**
 * Validates an object against its Kubernetes JSON schema (kubernetes-models' validators: types,
 * required fields, enums, formats). Throws for a kind it has no schema for, so nothing goes unchecked.
 */
export async function validateAgainstSchema(obj: K8sObject): Promise<void> {
  const mod = (await import(modelModule(obj.apiVersion))) as Record<string, ModelClass | undefined>;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`${obj.file}: no schema for ${obj.apiVersion} ${obj.kind}`);
  const { file: _file, ...data } = obj;
  new Model(data).validate();
}

export const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

/** Pod templates: each Deployment's and each Job's. */
export function podSpecs(objects: K8sObject[]): { owner: K8sObject; pod: PodSpec }[] {
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "Job")
    .map((owner) => ({ owner, pod: owner.spec.template.spec as PodSpec }));
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}

export interface Container {
  name: string;
  image: string;
  command: string[];
  ports?: { name: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; allowPrivilegeEscalation?: boolean };
}

export interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
}

/** A variable's value in a container: its own `env` first, then the ConfigMaps it loads. */
export function envValue(container: Container, name: string, configMaps: K8sObject[]): string | undefined {
  const own = container.env?.find((e) => e.name === name);
  if (own) return own.value;
  for (const from of container.envFrom ?? []) {
    const map = configMaps.find((m) => m.metadata.name === from.configMapRef?.name);
    if (map?.data?.[name] !== undefined) return map.data[name];
  }
  return undefined;
}

/** How long preStop waits, in seconds: a `sleep` action or the image's node waiting on a timer. */
export function preStopSeconds(container: Container): number | undefined {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return preStop.sleep.seconds;
  const script = preStop?.exec?.command.join(" ") ?? "";
  const node = /setTimeout\(\(\) => \{\}, (\d+)\)/.exec(script);
  if (node?.[1]) return Number(node[1]) / 1000;
  const sleep = /^sleep (\d+)$/.exec(script);
  return sleep?.[1] ? Number(sleep[1]) : undefined;
}

/** The most pods a Deployment can run at once: its autoscaler's ceiling (or replicas) plus the rollout's surge. */
export function maxPods(deployment: K8sObject, objects: K8sObject[]): number {
  const name = deployment.metadata.name;
  const hpa = ofKind(objects, "HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === name);
  const scaled = ofKind(objects, "ScaledObject").find((s) => s.spec.scaleTargetRef.name === name);
  const ceiling = hpa?.spec.maxReplicas ?? scaled?.spec.maxReplicaCount ?? deployment.spec.replicas ?? 1;
  const surge = deployment.spec.strategy?.rollingUpdate?.maxSurge ?? "25%";
  if (typeof surge === "number") return ceiling + surge;
  return ceiling + Math.ceil((ceiling * Number.parseInt(surge, 10)) / 100);
}
