import { type ReasonCode, reasonOf } from "@switchyard/events";
import { type Classifier, type TriageInput, TriageOutput } from "./triage.ts";

/** A triage result and who produced it. */
export interface FallbackResult {
  output: TriageOutput;
  /** Name of the classifier whose output this is. */
  classifier: string;
  /** True when the primary failed and the fallback answered. */
  degraded: boolean;
  /** Why the primary was not used (reason code), when degraded. */
  reason?: ReasonCode;
  /** The primary's failure, when degraded (never carries provider credentials). */
  error?: string;
}

export interface ResilientClassifier extends Classifier {
  /** Never rejects because of the primary, and settles within `deadlineMs` plus the fallback's own time. */
  classifyWithFallback(input: TriageInput, opts?: { signal?: AbortSignal }): Promise<FallbackResult>;
}

export interface FallbackOptions {
  /** Hard limit on the primary, whatever its own timeouts. */
  deadlineMs: number;
  /** Called when the fallback answers instead of the primary (for logs and metrics). */
  onDegraded?: (info: { primary: string; reason: ReasonCode; error: string }) => void;
}

class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/**
 * The primary classifier under a hard deadline, with a fallback (the rules classifier) for every
 * way it can fail: timeout, error, or output outside TriageOutput. No ticket is left untriaged
 * and no job waits on a hanging model.
 */
export function withFallback(primary: Classifier, fallback: Classifier, opts: FallbackOptions): ResilientClassifier {
  async function classifyWithFallback(
    input: TriageInput,
    call: { signal?: AbortSignal } = {},
  ): Promise<FallbackResult> {
    let reason: ReasonCode;
    let error: string;
    try {
      const raw = await underDeadline(primary, input, opts.deadlineMs, call.signal);
      const parsed = TriageOutput.safeParse(raw);
      if (parsed.success) return { output: parsed.data, classifier: primary.name, degraded: false };
      reason = "ai_invalid_output";
      error = `${primary.name} returned a result outside the triage schema`;
    } catch (err) {
      if (err instanceof DeadlineExceeded) {
        reason = "ai_timeout";
      } else {
        const code = reasonOf(err);
        reason = code === "unknown" ? "upstream_unavailable" : code;
      }
      error = err instanceof Error ? err.message : String(err);
    }
    opts.onDegraded?.({ primary: primary.name, reason, error });
    const output = TriageOutput.parse(await fallback.classify(input, call.signal ? { signal: call.signal } : {}));
    return { output, classifier: fallback.name, degraded: true, reason, error };
  }

  return {
    name: `${primary.name}+${fallback.name}`,
    classifyWithFallback,
    async classify(input, call) {
      return (await classifyWithFallback(input, call)).output;
    },
  };
}

/**
 * A classifier that replays a settled result under the name of whoever produced it, so
 * `triageMessage(db, { classifier: settled(result), degraded: result.degraded }, run)` records
 * the right classifier.
 */
export function settled(result: FallbackResult): Classifier {
  return { name: result.classifier, classify: async () => result.output };
}

/** Runs `primary` with an abort signal that fires at the deadline, and stops waiting then too. */
async function underDeadline(
  primary: Classifier,
  input: TriageInput,
  deadlineMs: number,
  outer: AbortSignal | undefined,
): Promise<TriageOutput> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onOuterAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    const fire = (why: string) => {
      controller.abort(new DeadlineExceeded(why));
      reject(new DeadlineExceeded(why));
    };
    timer = setTimeout(() => fire(`${primary.name} gave no answer within ${deadlineMs} ms`), deadlineMs);
    if (outer) {
      onOuterAbort = () => fire(`${primary.name} call aborted: job deadline passed`);
      if (outer.aborted) onOuterAbort();
      else outer.addEventListener("abort", onOuterAbort, { once: true });
    }
  });
  // The primary may settle after we stopped waiting: its late rejection must not go unhandled.
  const work = Promise.resolve().then(() => primary.classify(input, { signal }));
  work.catch(() => undefined);
  expired.catch(() => undefined);
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
    if (outer && onOuterAbort) outer.removeEventListener("abort", onOuterAbort);
    if (!controller.signal.aborted) controller.abort(new DeadlineExceeded("classification settled"));
  }
}
