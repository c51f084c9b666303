import { describe } from "vitest";
import { themeTests } from "../testing/bad-input/suite.ts";

describe("bad input: headers, paths and methods", () => {
  themeTests("bad_input_headers", ["headers", "routes"]);
});
