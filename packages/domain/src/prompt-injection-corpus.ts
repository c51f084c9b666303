import corpus from "./prompt-injection.corpus.json" with { type: "json" };

export interface InjectionEntry {
  id: string;
  subject?: string;
  message: string;
  expect: { humanReview: boolean; kinds?: string[] };
  knownGap?: string;
}

/** The prompt-injection corpus, for replaying through other doors than the triage policy (the action gateway). */
export const PROMPT_INJECTION_CORPUS: readonly InjectionEntry[] = corpus;
