import { describe } from "vitest";
import { themeTests } from "../testing/bad-input/suite.ts";

describe("bad input: signatures, timestamps, replays and bearer keys", () => {
  themeTests("bad_input_auth", ["signatures", "bearer"]);
});
