import { rulesClassifier } from "@switchyard/connectors";
import { describe, expect, it } from "vitest";
import corpus from "./ai-output.corpus.json" with { type: "json" };
import { checkDraft, luhnValid, promisedActions, type Removal, sanitizeAiText } from "./ai-output.ts";

interface Entry {
  id: string;
  text: string;
  expect: { removed?: Removal[]; promises?: string[]; absent?: string[]; present?: string[] };
}
const entries: Entry[] = corpus as Entry[];
const policy = { allowedLinkDomains: ["acme.example"] };

describe("AI output corpus", () => {
  it("is large enough, with unique ids, and covers each removal and each promise kind", () => {
    expect(entries.length).toBeGreaterThanOrEqual(35);
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    const removals = new Set(entries.flatMap((e) => e.expect.removed ?? []));
    expect([...removals].sort()).toEqual(["card_number", "link", "secret"]);
    const promises = new Set(entries.flatMap((e) => e.expect.promises ?? []));
    expect([...promises].sort()).toEqual(["account_deletion", "cancellation", "plan_change", "refund"]);
    expect(entries.filter((e) => e.expect.promises?.length === 0).length).toBeGreaterThanOrEqual(3);
  });

  for (const entry of entries) {
    it(entry.id, () => {
      const draft = checkDraft(entry.text, policy);
      if (entry.expect.removed) expect(draft.removed).toEqual(entry.expect.removed);
      for (const s of entry.expect.absent ?? []) expect(draft.text).not.toContain(s);
      for (const s of entry.expect.present ?? []) expect(draft.text).toContain(s);
      if (entry.expect.promises) {
        expect(draft.promises.sort()).toEqual([...entry.expect.promises].sort());
        expect(draft.ready).toBe(entry.expect.promises.length === 0);
      }
    });
  }
});

describe("sanitizeAiText", () => {
  it("checks card numbers with Luhn", () => {
    expect(luhnValid("4242424242424242")).toBe(true);
    expect(luhnValid("4242424242424241")).toBe(false);
    expect(luhnValid("0000000")).toBe(false);
  });

  it("removes every link when no domain is allowed", () => {
    const out = sanitizeAiText("see https://acme.example/x and https://b.example", { allowedLinkDomains: [] });
    expect(out.text).toBe("see [link removed] and [link removed]");
  });

  it("strips markup and control characters and caps the length", () => {
    expect(sanitizeAiText("Hi <b>there</b>\u0007\nbye", policy).text).toBe("Hi there\nbye");
    expect(sanitizeAiText("a".repeat(10_000), policy).text).toHaveLength(4_000);
  });

  it("leaves the rules classifier's own drafts ready: they promise nothing", async () => {
    const rules = rulesClassifier();
    for (const message of ["refund me", "cancel my subscription", "upgrade my plan", "delete my account", "hi"]) {
      const out = await rules.classify({ subject: null, message }, {});
      expect(checkDraft(out.draftReply, policy), message).toMatchObject({ ready: true, removed: [] });
    }
  });

  it("reads promises through look-alikes and zero-width characters", () => {
    expect(promisedActions("I have r\u200Befundеd you")).toEqual(["refund"]);
  });
});
