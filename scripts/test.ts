// `pnpm test`: every package's vitest run through turbo, then one closing line for the whole repo.
// With --faults (`pnpm check`, CI), the fault suite runs afterwards and counts in the same line.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

interface Report {
  success: boolean;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { name: string; status: string; assertionResults: unknown[]; message?: string }[];
}

const withFaults = process.argv.includes("--faults");
const FAULTS_REPORT = join("apps", "launcher", ".vitest-faults-report.json");
const reports = [
  ...["apps", "packages"].flatMap((group) =>
    readdirSync(group).map((name) => join(group, name, ".vitest-report.json")),
  ),
  FAULTS_REPORT,
];
for (const file of reports) if (existsSync(file)) rmSync(file);

const args = process.argv.slice(2).filter((a) => a !== "--faults");
const turbo = spawnSync("turbo", ["run", "test", "--concurrency=2", "--continue", ...args], { stdio: "inherit" });
const faults = withFaults
  ? spawnSync("pnpm", ["--filter", "@switchyard/launcher", "test:faults"], { stdio: "inherit" })
  : { status: 0 };

let passed = 0;
let failed = 0;
let skipped = 0;
/** Test files that failed before running a test (an import error, a crash in a hook). */
const unloaded: string[] = [];
for (const file of reports) {
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, "utf8")) as Report;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  for (const t of r.testResults) if (t.status === "failed" && t.assertionResults.length === 0) unloaded.push(t.name);
  skipped += r.numPendingTests + r.numTodoTests;
}
const ok = turbo.status === 0 && faults.status === 0 && failed === 0 && unloaded.length === 0 && passed > 0;
for (const name of unloaded) process.stdout.write(`test file failed before running any test: ${name}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(ok ? 0 : 1);
