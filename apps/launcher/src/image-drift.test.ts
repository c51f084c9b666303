import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage, type StageImage } from "./testing/image.ts";
import { checkTree, readWorkspace, treeFiles } from "./testing/image-checks.ts";
import { copyContext, handListedDockerfile, repoFile, tempDir } from "./testing/image-context.ts";

// The builder of image.test.ts, fed the mistakes it exists to catch: each must fail, by a
// failed RUN (as `docker build` would) or by a tree that could not run Switchyard (as the
// containers would, at start). The repository's own Dockerfile and .dockerignore pass them all.

const DOCKERFILE = repoFile("infra/Dockerfile");
const DOCKERIGNORE = repoFile(".dockerignore");
const MARKER = "planted-by-image-drift-test";
/** Each build is a pnpm fetch and an install into a fresh tree: seconds, more on a busy machine. */
const BUILDS = { timeout: 120_000 };

describe("the image builder catches drift between the image and the workspace", () => {
  let tmp: string;
  let context: string;
  let n = 0;

  beforeAll(() => {
    tmp = tempDir("image-drift");
    context = join(tmp, "checkout");
    copyContext(context, MARKER);
    writeFileSync(join(context, ".env"), "STRIPE_SECRET_KEY=sk_live_planted_drift\n");
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Builds the last stage (or `target`); its tree problems, or the build's error. */
  function attempt(opts: { dockerfile?: string; dockerignore?: string; context?: string; target?: string }) {
    const ctx = opts.context ?? context;
    try {
      const image = buildImage({
        context: ctx,
        dockerfile: opts.dockerfile ?? DOCKERFILE,
        dockerignore: opts.dockerignore ?? DOCKERIGNORE,
        ...(opts.target ? { targets: [opts.target] } : {}),
        out: join(tmp, `build-${++n}`),
      });
      const stage = [...image.stages.values()].at(-1) as StageImage;
      return { stage, problems: checkTree(stage, ctx), error: "" };
    } catch (err) {
      return { stage: undefined, problems: [], error: (err as Error).message };
    }
  }

  const packages = () => readWorkspace(context).packages;

  it("fails on the Dockerfile as this issue found it: no patches, so the install stops", BUILDS, () => {
    const { error } = attempt({ dockerfile: handListedDockerfile(packages(), { patches: false }) });
    expect(error).toMatch(/RUN pnpm install --frozen-lockfile --prod failed/);
    expect(error).toMatch(/patches\/\S+\.patch/);
  });

  it("fails when a Dockerfile lists packages by hand and misses one, or one added since; ours has both", BUILDS, () => {
    // A package added to the workspace, with its lockfile entry as `pnpm install` writes it.
    const grown = join(tmp, "grown");
    execFileSync("cp", ["-a", `${context}/.`, grown]);
    const before = readWorkspace(grown).packages;
    mkdirSync(join(grown, "packages/zz-probe/src"), { recursive: true });
    const manifest = {
      name: "@switchyard/zz-probe",
      private: true,
      type: "module",
      dependencies: { "@switchyard/env": "workspace:*" },
    };
    writeFileSync(join(grown, "packages/zz-probe/package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync(join(grown, "packages/zz-probe/src/index.ts"), "export const probe = 1;\n");
    // Written as `pnpm install --lockfile-only` writes it: running pnpm for it needs the registry's
    // metadata of every package in the lockfile, which a fresh machine's cache does not hold.
    const lockfile = join(grown, "pnpm-lock.yaml");
    const entry =
      "  packages/zz-probe:\n    dependencies:\n      '@switchyard/env':\n" +
      "        specifier: workspace:*\n        version: link:../env\n\n";
    const lock = readFileSync(lockfile, "utf8");
    expect(lock).toMatch(/\npackages:\n/);
    writeFileSync(lockfile, lock.replace(/\npackages:\n/, `\n${entry}packages:\n`));

    // The list as it stood before the new package, and without packages/http: the install
    // succeeds, `COPY . .` brings both folders in, and neither has its dependencies.
    const listed = attempt({
      context: grown,
      dockerfile: handListedDockerfile(
        before.filter((p) => p !== "packages/http"),
        { patches: true },
      ),
    });
    expect(listed.error).toBe("");
    expect(listed.problems).toEqual(
      expect.arrayContaining([
        "packages/http: dependency hono is not installed (Cannot find package 'hono')",
        "packages/zz-probe: dependency @switchyard/env is not installed (Cannot find package '@switchyard/env')",
      ]),
    );
    const ours = attempt({ context: grown });
    expect(ours.error).toBe("");
    expect(ours.problems).toEqual([]);
    expect(treeFiles(ours.stage as StageImage)).toContain("packages/zz-probe/src/index.ts");
  });

  it("fails when .dockerignore leaves out a package.json or lets .env in (one build, both caught)", BUILDS, () => {
    const leaky = DOCKERIGNORE.split("\n")
      .filter((l) => !l.includes(".env"))
      .join("\n");
    const { error, problems } = attempt({ dockerignore: `${leaky}\npackages/env/package.json\n` });
    expect(error).toBe("");
    expect(problems).toEqual(
      expect.arrayContaining([
        "packages/env/package.json is not in the image (packages/env is missing)",
        ".env is in the image: a secrets file baked into a layer",
        "apps/ingest/.env.test is in the image: a secrets file baked into a layer",
      ]),
    );
  });

  it("fails when .dockerignore leaves out the patches, for the fetch or after it", BUILDS, () => {
    const patches = attempt({ dockerignore: `${DOCKERIGNORE}\npatches\n` });
    expect(patches.error).toMatch(/COPY failed: "\/patches": not found/);
    const files = attempt({ dockerignore: `${DOCKERIGNORE}\npatches/*.patch\n` });
    expect(files.error).toMatch(/RUN pnpm fetch --prod failed:[\s\S]*ERR_PNPM_PATCH_NOT_FOUND/);
  });

  it("fails on an offline install with no fetch before it, whatever this machine's store holds", BUILDS, () => {
    const { error } = attempt({ dockerfile: DOCKERFILE.replace("RUN pnpm fetch --prod\n", "") });
    expect(error).toMatch(/RUN pnpm install --offline --frozen-lockfile --prod with no pnpm fetch of this lockfile/);
  });

  it(
    "refuses what it cannot model rather than skip it: an unknown RUN, another pnpm, an unknown instruction",
    BUILDS,
    () => {
      const run = attempt({
        dockerfile: DOCKERFILE.replace(
          "WORKDIR /app\nCOPY pnpm",
          "RUN apt-get install -y curl\nWORKDIR /app\nCOPY pnpm",
        ),
      });
      expect(run.error).toMatch(/does not know how to RUN apt-get install -y curl/);
      const pnpm = attempt({ dockerfile: DOCKERFILE.replace(/pnpm@\d+\.\d+\.\d+/, "pnpm@9.0.0") });
      expect(pnpm.error).toMatch(/installs pnpm@9\.0\.0, package\.json says pnpm@/);
      const add = attempt({ dockerfile: `${DOCKERFILE}\nADD https://example.com/x /x\n` });
      expect(add.error).toMatch(/ADD is not supported/);
    },
  );
});
