import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { composeServices, interpolate, parseDotenv, serviceEnv } from "./testing/compose.ts";
import { composeTest, durationMs } from "./testing/container.ts";
import { parseDockerfile, parseHealthcheck } from "./testing/dockerfile.ts";
import { contextFiles, isIgnored, parseDockerignore } from "./testing/dockerignore.ts";
import { plantsFor, tempDir } from "./testing/image-context.ts";

// The readers the image test stands on, held to the behaviour they copy: Docker's .dockerignore
// rules (the examples of Docker's own documentation), Dockerfile syntax, compose interpolation.

const ignored = (rules: string, path: string) => isIgnored(parseDockerignore(rules), path);

describe(".dockerignore, as Docker reads it", () => {
  it("matches Docker's documented examples", () => {
    const rules = "# comment\n*/temp*\n*/*/temp*\ntemp?\n";
    expect(ignored(rules, "somedir/temporary.txt")).toBe(true);
    expect(ignored(rules, "somedir/temp")).toBe(true);
    expect(ignored(rules, "somedir/subdir/temporary.txt")).toBe(true);
    expect(ignored(rules, "tempa")).toBe(true);
    expect(ignored(rules, "temporary.txt")).toBe(false);
    expect(ignored(rules, "a/b/c/temp")).toBe(false);
    expect(ignored("**/*.go", "main.go")).toBe(true);
    expect(ignored("**/*.go", "cmd/x/main.go")).toBe(true);
  });

  it("lets the last matching rule decide, exceptions included", () => {
    expect(ignored("*.md\n!README.md", "README.md")).toBe(false);
    expect(ignored("*.md\n!README.md", "CHANGES.md")).toBe(true);
    const secret = "*.md\n!README*.md\nREADME-secret.md";
    expect(ignored(secret, "README-secret.md")).toBe(true);
    expect(ignored(secret, "README-public.md")).toBe(false);
    expect(ignored("*.md\nREADME-secret.md\n!README*.md", "README-secret.md")).toBe(false);
  });

  it("anchors at the context root, leaves out what is under a match, and reads /x as x", () => {
    expect(ignored("node_modules", "node_modules/a/index.js")).toBe(true);
    expect(ignored("node_modules", "apps/x/node_modules/a/index.js")).toBe(false);
    expect(ignored("**/node_modules", "apps/x/node_modules/a/index.js")).toBe(true);
    expect(ignored("/.data/", ".data/pg/base")).toBe(true);
    expect(ignored("**/.env*\n!.env.example", ".env.example")).toBe(false);
    expect(ignored("**/.env*\n!.env.example", "apps/x/.env.example")).toBe(true);
    expect(ignored("**/.env*", ".envrc")).toBe(true);
  });

  it("walks into a left-out folder when an exception may bring a file back", () => {
    const dir = tempDir("dockerignore");
    try {
      mkdirSync(join(dir, "cache/sub"), { recursive: true });
      for (const f of ["cache/keep.txt", "cache/drop.txt", "cache/sub/x", "a.txt"]) writeFileSync(join(dir, f), "");
      expect(contextFiles(dir, parseDockerignore("cache\n!cache/keep.txt"))).toEqual(["a.txt", "cache/keep.txt"]);
      expect(contextFiles(dir, parseDockerignore("cache"))).toEqual(["a.txt"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the Dockerfile reader", () => {
  it("joins continued lines, drops comments in them, and splits flags and the exec form", () => {
    const [stage] = parseDockerfile(
      'FROM node:24 AS Base\nHEALTHCHECK --interval=5s \\\n  # a comment\n  CMD ["node", "-e", "1"]\nCOPY --from=x /a /b\n',
    );
    expect(stage?.name).toBe("base");
    const [health, copy] = stage?.instructions ?? [];
    expect(health && parseHealthcheck(health)).toEqual({
      test: ["CMD", "node", "-e", "1"],
      options: { interval: "5s" },
    });
    expect(copy?.flags).toEqual({ from: "x" });
    expect(copy?.args).toBe("/a /b");
    expect(() => parseDockerfile("RUN x")).toThrow(/before the first FROM/);
  });
});

describe("compose's YAML, interpolation and environment", () => {
  it("applies merge keys, and reads env_file entries in both of compose's forms", () => {
    const services = composeServices(
      'x-a: &a\n  env_file:\n    - path: .env\n      required: false\n  stop_grace_period: 9s\nservices:\n  s:\n    <<: *a\n    command: ["node", "x.ts"]\n  t:\n    env_file: .env\n',
    );
    expect(services.get("s")).toMatchObject({ envFiles: [".env"], stopGracePeriod: "9s", command: ["node", "x.ts"] });
    expect(services.get("t")?.envFiles).toEqual([".env"]);
    expect(() => composeServices('services:\n  s:\n    command: "node x.ts"\n')).toThrow(/exec form/);
  });

  it("interpolates as compose does: defaults, nesting, required values, $$", () => {
    const vars = { SET: "v", EMPTY: "" };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not a template
    expect(interpolate("${SET:-d} ${EMPTY:-d} ${EMPTY-d} ${NONE-d} $$SET", vars)).toBe("v d  d $SET");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not a template
    expect(interpolate("${NONE:-a-${SET:-b}} ${SET:+alt}", vars)).toBe("a-v alt");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not a template
    expect(() => interpolate("${NONE:?set NONE}", vars)).toThrow(/set NONE/);
  });

  it("gives a container the image's ENV, then .env, then the interpolated environment", () => {
    const [service] = composeServices(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation, not a template
      'services:\n  s:\n    env_file:\n      - path: .env\n    environment:\n      A: "${A:-compose}"\n',
    ).values();
    const dotenv = parseDotenv("# x\nA=dotenv\nB='quoted'\n");
    expect(service && serviceEnv(service, { A: "image", C: "image" }, dotenv)).toEqual({
      A: "dotenv",
      B: "quoted",
      C: "image",
    });
    expect(service && serviceEnv(service, {}, {})).toEqual({ A: "compose" });
  });

  it("reads a healthcheck's test in each of compose's forms, and Docker's durations", () => {
    const services = composeServices(
      'services:\n  a:\n    healthcheck:\n      test: ["CMD", "node", "-e", "1"]\n  b:\n    healthcheck:\n      test: node -e 1\n  c:\n    healthcheck:\n      disable: true\n  d:\n    healthcheck:\n      interval: 5s\n  e:\n    healthcheck:\n      test: ["CMD-SHELL", "echo $$HOME"]\n',
    );
    const test = (name: string) => composeTest(services.get(name) as NonNullable<ReturnType<typeof services.get>>);
    expect(test("a")).toEqual(["CMD", "node", "-e", "1"]);
    expect(test("b")).toEqual(["CMD-SHELL", "node -e 1"]);
    expect(test("c")).toEqual(["NONE"]);
    expect(test("d")).toBeUndefined(); // the image's test stays
    expect(() => test("e")).toThrow(/\$ in healthcheck.test is not supported/);
    expect([durationMs("3s"), durationMs("500ms"), durationMs("1m30s")]).toEqual([3_000, 500, 90_000]);
    expect(() => durationMs("3")).toThrow(/cannot read duration/);
  });

  it("plants a file for each .gitignore pattern, nested for those without a slash", () => {
    expect(plantsFor("node_modules/\n/.data/\n*.log\nbench/results/*.tmp\n# c\n")).toEqual(
      expect.arrayContaining([
        "node_modules/planted.txt",
        "apps/ingest/node_modules/planted.txt",
        ".data/planted.txt",
        "planted.log",
        "bench/results/planted.tmp",
      ]),
    );
  });
});
