import { describe, expect, it } from "vitest";
import { z } from "zod";
import { list, markedSecretValues, optionalText, secret, secretKind, unmarkedSecretNames } from "./fields.ts";

describe("secret marks", () => {
  const shape = {
    SHOP_WEBHOOK_SECRET: secret(list()),
    SHOP_API_KEY: secret(optionalText()),
    SHOP_DB_URL: secret(z.string().optional(), "url-password"),
    SHOP_NAME: optionalText(),
  };

  it("marks one field, not every field built by the same helper", () => {
    expect(secretKind(shape.SHOP_WEBHOOK_SECRET)).toBe("value");
    expect(secretKind(list())).toBeUndefined();
    expect(secretKind(shape.SHOP_NAME)).toBeUndefined();
  });

  it("collects list items, plain values and URL passwords, and nothing unmarked", () => {
    const values = z.object(shape).parse({
      SHOP_WEBHOOK_SECRET: "whsec_a, whsec_b",
      SHOP_API_KEY: " key-1 ",
      SHOP_DB_URL: "postgres://u:p%40ss@db/x",
      SHOP_NAME: "not-a-secret",
    });
    expect(markedSecretValues(shape, values).sort()).toEqual(["key-1", "p@ss", "whsec_a", "whsec_b"]);
  });

  it("names every secret-looking variable left unmarked", () => {
    expect(unmarkedSecretNames({ ...shape, SHOP_TOKEN: optionalText(), SHOP_PASSWORD: z.string() })).toEqual([
      "SHOP_TOKEN",
      "SHOP_PASSWORD",
    ]);
    expect(unmarkedSecretNames(shape)).toEqual([]);
  });
});
