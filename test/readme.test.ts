import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSettings, settingNames } from "../shared/app/config.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const settingsSection = readme.slice(
  readme.indexOf("## Settings"),
  readme.indexOf("\n## ", readme.indexOf("## Settings") + 1),
);
const rows = [...settingsSection.matchAll(/^\| `([A-Za-z0-9_]+)`\s*\| ([^|]+?)\s*\|/gm)].map((m) => ({
  name: m[1] ?? "",
  shown: (m[2] ?? "").trim(),
}));

describe("the README's settings table", () => {
  it("lists exactly the settings the code reads", () => {
    expect(rows.map((r) => r.name).sort()).toEqual([...settingNames].sort());
  });

  it("shows each default the code uses", () => {
    const defaults = loadSettings({}) as Record<string, unknown>;
    for (const { name, shown } of rows) {
      const value = defaults[name];
      if (shown === "—") {
        expect(
          [undefined, ""].includes(value as string) || (Array.isArray(value) && value.length === 0),
          name,
        ).toBe(true);
      } else {
        const expected = typeof value === "object" && value !== null ? "profile" : String(value);
        expect(shown, name).toBe(`\`${expected}\``);
      }
    }
  });
});
