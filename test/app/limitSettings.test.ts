import { describe, expect, it } from "vitest";
import { loadSettings, SettingsError } from "../../shared/app/config.js";

describe("the use limits' settings", () => {
  it("limit reads to 30 per caller per minute and events to 500 per sender per hour by default", () => {
    expect(loadSettings({})).toMatchObject({
      HELPDESK_READS_PER_MINUTE: 30,
      HR_EVENTS_PER_SENDER_PER_HOUR: 500,
    });
  });

  it.each([
    ["HELPDESK_READS_PER_MINUTE", "0", "too small"],
    ["HELPDESK_READS_PER_MINUTE", "unlimited", "not a whole number"],
    ["HR_EVENTS_PER_SENDER_PER_HOUR", "0", "too small"],
    ["HR_EVENTS_PER_SENDER_PER_HOUR", "-5", "too small"],
  ])("has no off switch: refuses %s=%s, naming the setting", (setting, value, problem) => {
    let thrown: unknown;
    try {
      loadSettings({ [setting]: value });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SettingsError);
    expect((thrown as SettingsError).issues).toEqual([
      expect.objectContaining({ setting, problem: expect.stringContaining(problem) }),
    ]);
  });
});
