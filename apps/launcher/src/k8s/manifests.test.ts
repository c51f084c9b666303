// infra/k8s checked without a cluster: every object against its Kubernetes JSON schema, and the
// promises docs/DEPLOYING.md makes about them (probes, grace, non-root, secrets, a private admin,
// the connection budget) against the manifests and the configuration schema.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_SHAPE, parseConfig } from "@switchyard/config";
import { secretKind } from "@switchyard/env";
import { WORK_QUEUES } from "@switchyard/events";
import { METRIC_FAMILIES } from "@switchyard/metrics";
import { describe, expect, it } from "vitest";
import { keyValues, parseDockerfile } from "../testing/dockerfile.ts";
import {
  type Container,
  envValue,
  K8S_DIR,
  type K8sObject,
  kustomizedFiles,
  maxPods,
  ofKind,
  podSpecs,
  preStopSeconds,
  ROOT,
  readManifests,
  validateAgainstSchema,
} from "./manifests.ts";

const { objects, kustomizations, files } = readManifests();
const deployments = ofKind(objects, "Deployment");
const configMaps = ofKind(objects, "ConfigMap");
const ROLES = ["ingest", "admin", ...WORK_QUEUES];
const deploymentOf = (role: string) => deployments.find((d) => d.metadata.name === `switchyard-${role}`);
/** The first container of a Deployment's or Job's pod. */
const firstContainer = (owner: K8sObject | undefined): Container | undefined =>
  (owner?.spec.template.spec.containers as Container[] | undefined)?.[0];
const containersOf = (pod: { containers: Container[]; initContainers?: Container[] }) => [
  ...pod.containers,
  ...(pod.initContainers ?? []),
];
// Postgres's default max_connections less its superuser_reserved_connections.
const POSTGRES_CONNECTIONS = 100 - 3;

describe("infra/k8s", () => {
  it("parses, and every object validates against its Kubernetes schema", async () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const obj of objects) {
      expect(obj.metadata?.name, `${obj.file}: ${obj.kind} without a name`).toBeTruthy();
      await expect(
        validateAgainstSchema(obj),
        `${obj.file}: ${obj.kind} ${obj.metadata.name}`,
      ).resolves.toBeUndefined();
    }
  });

  it("is built by its kustomizations: each lists files that exist, every file is in one, one image name", () => {
    const root = kustomizations.find((k) => k.file === "kustomization.yaml");
    const migrate = kustomizations.find((k) => k.file === join("migrate", "kustomization.yaml"));
    expect(root && migrate).toBeTruthy();
    const built = new Set(kustomizations.flatMap((k) => [k.file, ...kustomizedFiles(k, kustomizations)]));
    for (const f of built) expect(existsSync(join(K8S_DIR, f)), `${f} is listed but missing`).toBe(true);
    expect(files.filter((f) => !built.has(f))).toEqual([]);
    // The migrate Job is applied on its own, before the app (DEPLOYING.md).
    expect(kustomizedFiles(root as never, kustomizations)).not.toContain(join("migrate", "job.yaml"));
    const images = new Set(podSpecs(objects).flatMap(({ pod }) => containersOf(pod).map((c) => c.image)));
    expect([...images]).toEqual(["switchyard"]);
    for (const k of [root, migrate]) expect(k?.images.map((i) => i.name)).toEqual(["switchyard"]);
  });

  it("has a Deployment per role, each running its real entry point, and a Job running the migrations", () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(ROLES.map((r) => `switchyard-${r}`).sort());
    for (const role of ROLES) {
      // A worker's node flag is the image's worker target's (infra/Dockerfile; node-flags.test.ts).
      const flags = role === "ingest" || role === "admin" ? [] : ["--optimize-for-size"];
      expect(firstContainer(deploymentOf(role))?.command).toEqual(["node", ...flags, `apps/${role}/src/main.ts`]);
      expect(existsSync(join(ROOT, `apps/${role}/src/main.ts`))).toBe(true);
    }
    const jobs = ofKind(objects, "Job");
    expect(jobs).toHaveLength(1);
    expect(firstContainer(jobs[0])?.command).toEqual(["node", "apps/launcher/src/migrate.ts"]);
    expect(existsSync(join(ROOT, "apps/launcher/src/migrate.ts"))).toBe(true);
  });

  it("gives every Deployment both probes, preStop, resources and a grace that covers SHUTDOWN_GRACE_MS", () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const role = d.metadata.labels?.["app.kubernetes.io/component"] as string;
      for (const c of pod.containers as Container[]) {
        const where = `${d.metadata.name}/${c.name}`;
        expect(c.livenessProbe?.httpGet?.path, where).toBe("/healthz");
        expect(c.readinessProbe?.httpGet?.path, where).toBe("/readyz");
        // Ingest answers on its own port; workers and admin on HEALTH_PORT.
        const portName = c.readinessProbe?.httpGet?.port;
        expect(c.livenessProbe?.httpGet?.port, where).toBe(portName);
        const port = c.ports?.find((p) => p.name === portName)?.containerPort;
        const expected = role === "ingest" ? "INGEST_PORT" : "HEALTH_PORT";
        expect(String(port), `${where}: the probes' port is ${expected}`).toBe(envValue(c, expected, configMaps));
        expect(c.resources?.requests?.cpu, where).toBeTruthy();
        expect(c.resources?.requests?.memory, where).toBeTruthy();
        expect(c.resources?.limits?.memory, where).toBeTruthy();
        const wait = preStopSeconds(c);
        expect(wait, `${where}: preStop`).toBeGreaterThan(0);
        const grace = Number(envValue(c, "SHUTDOWN_GRACE_MS", configMaps)) / 1000;
        const delay = Number(envValue(c, "SHUTDOWN_DELAY_MS", configMaps) ?? 0) / 1000;
        expect(grace, where).toBeGreaterThan(delay);
        // The kubelet's SIGKILL comes after preStop plus the process's own bound, with a little to spare.
        const period = pod.terminationGracePeriodSeconds as number;
        expect(period, `${where}: terminationGracePeriodSeconds`).toBeGreaterThanOrEqual((wait as number) + grace + 1);
        expect(period, `${where}: terminationGracePeriodSeconds`).toBeLessThanOrEqual((wait as number) + grace + 10);
      }
    }
    // A worker's grace outlasts a job's deadline (the catalog's 30 s), so a stop cuts no job short.
    for (const q of WORK_QUEUES) {
      const c = firstContainer(deploymentOf(q)) as Container;
      expect(Number(envValue(c, "SHUTDOWN_GRACE_MS", configMaps))).toBeGreaterThan(30_000);
    }
  });

  it("probes the port the image's HEALTHCHECK asks: admin's and each worker's HEALTH_PORT is the image's default", () => {
    const stages = parseDockerfile(readFileSync(join(ROOT, "infra/Dockerfile"), "utf8"));
    const imageEnv = (target: string) =>
      Object.assign(
        {},
        ...(stages.find((s) => s.name === target)?.instructions ?? [])
          .filter((i) => i.keyword === "ENV")
          .map((i) => keyValues(i.args)),
      ) as Record<string, string>;
    for (const role of ["admin", ...WORK_QUEUES]) {
      const c = firstContainer(deploymentOf(role)) as Container;
      const port = envValue(c, "HEALTH_PORT", configMaps);
      expect(port, role).toBe(imageEnv(role === "admin" ? "admin" : "worker").HEALTH_PORT);
      expect(String(c.ports?.find((p) => p.name === c.livenessProbe?.httpGet?.port)?.containerPort), role).toBe(port);
    }
  });

  it("runs every container as non-root, without privilege escalation", () => {
    for (const { owner, pod } of podSpecs(objects)) {
      for (const c of containersOf(pod)) {
        const where = `${owner.metadata.name}/${c.name}`;
        const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
        const user = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
        expect(nonRoot, where).toBe(true);
        // The image's USER is a name; the kubelet needs a number to check runAsNonRoot against.
        expect(user, where).toBeGreaterThan(0);
        expect(c.securityContext?.allowPrivilegeEscalation, where).toBe(false);
      }
    }
  });

  it("references secrets and never holds one: no Secret with data, no secret variable as a literal", () => {
    for (const s of ofKind(objects, "Secret")) {
      expect(s.data ?? s.stringData, `${s.file}: Secret ${s.metadata.name} holds values`).toBeUndefined();
    }
    const secretNames = Object.keys(CONFIG_SHAPE).filter((n) => secretKind(CONFIG_SHAPE[n] as never));
    expect(secretNames).toContain("DATABASE_URL");
    for (const map of configMaps) {
      expect(Object.keys(map.data ?? {}).filter((k) => secretNames.includes(k) || /^WEBHOOK_SECRET_/.test(k))).toEqual(
        [],
      );
    }
    for (const { owner, pod } of podSpecs(objects)) {
      for (const c of containersOf(pod)) {
        for (const e of c.env ?? []) {
          if (secretNames.includes(e.name)) {
            expect(e.value, `${owner.metadata.name}: ${e.name} inline`).toBeUndefined();
            expect(e.valueFrom?.secretKeyRef, `${owner.metadata.name}: ${e.name} not from a Secret`).toBeTruthy();
          }
        }
        // Every process needs both URLs, from a Secret; the migrate Job needs only the database.
        const fromSecret = (n: string) => c.env?.find((e) => e.name === n)?.valueFrom?.secretKeyRef;
        expect(fromSecret("DATABASE_URL"), owner.metadata.name).toBeTruthy();
        if (owner.kind === "Deployment") expect(fromSecret("REDIS_URL"), owner.metadata.name).toBeTruthy();
      }
    }
  });

  it("names only variables the configuration schema reads, and the ConfigMap parses as a configuration", () => {
    const known = (n: string) => n in CONFIG_SHAPE || /^WEBHOOK_SECRET_[A-Z0-9_]+$/.test(n);
    const used = [
      ...configMaps.flatMap((m) => Object.keys(m.data ?? {})),
      ...podSpecs(objects).flatMap(({ pod }) =>
        containersOf(pod).flatMap((c) =>
          (c.env ?? []).flatMap((e) => [e.name, e.valueFrom?.secretKeyRef?.key ?? e.name]),
        ),
      ),
    ];
    expect(used.filter((n) => !known(n))).toEqual([]);
    for (const map of configMaps) expect(() => parseConfig(map.data ?? {}), map.metadata.name).not.toThrow();
  });

  it("keeps admin private: a ClusterIP Service, no Ingress to it; ingest has a Service and the Ingress", () => {
    const services = ofKind(objects, "Service");
    const admin = services.find((s) => s.metadata.name === "switchyard-admin");
    const ingest = services.find((s) => s.metadata.name === "switchyard-ingest");
    expect(admin && ingest).toBeTruthy();
    expect(admin?.spec.selector["app.kubernetes.io/component"]).toBe("admin");
    for (const s of services.filter((s) => s.spec.selector?.["app.kubernetes.io/component"] === "admin")) {
      expect(s.spec.type ?? "ClusterIP").toBe("ClusterIP");
      expect(s.spec.externalIPs).toBeUndefined();
    }
    const adminServices = new Set(
      services.filter((s) => s.spec.selector?.["app.kubernetes.io/component"] === "admin").map((s) => s.metadata.name),
    );
    const ingresses = ofKind(objects, "Ingress");
    expect(ingresses.length).toBeGreaterThan(0);
    for (const ing of ingresses) {
      const backends = [
        ing.spec.defaultBackend?.service?.name,
        ...(ing.spec.rules ?? []).flatMap((r: { http?: { paths: { backend: { service?: { name: string } } }[] } }) =>
          (r.http?.paths ?? []).map((p) => p.backend.service?.name),
        ),
      ].filter(Boolean);
      expect(backends.filter((b) => adminServices.has(b))).toEqual([]);
      expect(backends).toContain("switchyard-ingest");
    }
  });

  it("gives every Deployment a PodDisruptionBudget", () => {
    const pdbs = ofKind(objects, "PodDisruptionBudget");
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels as Record<string, string>;
      const covering = pdbs.filter((p) =>
        Object.entries(p.spec.selector.matchLabels as Record<string, string>).every(([k, v]) => labels[k] === v),
      );
      expect(covering, d.metadata.name).toHaveLength(1);
    }
  });

  it("scales ingest on CPU (HPA) and each worker on its queue's waiting jobs (KEDA, from admin's /metrics)", () => {
    const hpas = ofKind(objects, "HorizontalPodAutoscaler");
    const ingestHpa = hpas.find((h) => h.spec.scaleTargetRef.name === "switchyard-ingest");
    expect(ingestHpa?.spec.metrics).toEqual([
      expect.objectContaining({ type: "Resource", resource: expect.objectContaining({ name: "cpu" }) }),
    ]);
    expect(ingestHpa?.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect("switchyard_queue_jobs" in METRIC_FAMILIES).toBe(true);
    const scaled = ofKind(objects, "ScaledObject");
    for (const q of WORK_QUEUES) {
      const so = scaled.filter((s) => s.spec.scaleTargetRef.name === `switchyard-${q}`);
      expect(so, q).toHaveLength(1);
      const [trigger] = (so[0]?.spec.triggers ?? []) as {
        type: string;
        metadata: { query: string; threshold: string };
      }[];
      expect(trigger?.type).toBe("prometheus");
      expect(trigger?.metadata.query).toBe(`max(switchyard_queue_jobs{queue="${q}",state="waiting"})`);
      expect(Number(trigger?.metadata.threshold)).toBeGreaterThan(0);
    }
    // An autoscaled Deployment leaves its count to the autoscaler (an apply would reset it).
    for (const d of deployments.filter((d) => d.metadata.name !== "switchyard-admin")) {
      expect(d.spec.replicas, d.metadata.name).toBeUndefined();
    }
  });

  it("stays within Postgres's connections at every autoscaler's ceiling, mid-rollout, with the Job", () => {
    const pool = (c: Container) =>
      Number(envValue(c, "DATABASE_POOL_MAX", configMaps) ?? parseConfig({}).DATABASE_POOL_MAX);
    const deploymentConnections = deployments.map((d) => {
      const [c] = d.spec.template.spec.containers as Container[];
      return maxPods(d, objects) * pool(c as Container);
    });
    const job = podSpecs(objects).find(({ owner }) => owner.kind === "Job");
    // The migrator holds two: the advisory lock's session and the migration's.
    const total = deploymentConnections.reduce((a, b) => a + b, 0) + (job ? 2 : 0);
    expect(total).toBeLessThanOrEqual(POSTGRES_CONNECTIONS);
    // DEPLOYING.md's table gives this figure; keep them in step.
    expect(total).toBe(96);
  });
});
