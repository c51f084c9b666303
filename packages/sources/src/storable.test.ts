import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, storableJson } from "./storable.ts";

const parsed = (text: string) => storableJson(JSON.parse(text), text);

describe("storableJson", () => {
  it("returns an ordinary body as it is", () => {
    const text = '{"id":"evt_1","data":{"object":{"tags":["a","b"],"note":"caf\\u00e9 \\ud83d\\ude00"}}}';
    const value = JSON.parse(text);
    expect(storableJson(value, text)).toEqual({ ok: true, value });
    expect(storableJson(value, text)).toMatchObject({ value: expect.objectContaining({ id: "evt_1" }) });
  });

  it("replaces escaped NUL and lone surrogates, in keys and values, with or without the text", () => {
    const text = '{"a\\u0000":"x\\u0000y","b":["\\ud800","\\udc00z"],"c":"\\ud83d\\ude00"}';
    const expected = { ok: true, value: { "a\uFFFD": "x\uFFFDy", b: ["\uFFFD", "\uFFFDz"], c: "\u{1F600}" } };
    expect(parsed(text)).toEqual(expected);
    expect(storableJson(JSON.parse(text))).toEqual(expected);
  });

  it("refuses a body nested deeper than the limit, however it is written", () => {
    const deep = `${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`;
    expect(parsed(deep)).toMatchObject({ ok: false });
    const wide = `{"x":[${Array.from({ length: 200 }, () => "{}").join(",")}]}`;
    expect(parsed(wide)).toMatchObject({ ok: true });
  });
});
