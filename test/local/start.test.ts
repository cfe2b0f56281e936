import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("npm start", () => {
  it("processes the sample new hires on embedded emulators and prints each outcome", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0" };
    delete env.AzureWebJobsStorage;
    delete env.GRAPH_BASE_URL;
    delete env.GRAPH_ACCESS_TOKEN;
    const { stdout } = await run(process.execPath, ["--import", "tsx", "local/start.ts", "--once"], {
      env,
      timeout: 60_000,
    });
    const statusOf = (eventId: string) => new RegExp(`^${eventId}\\s+\\S+\\s+(\\w+)`, "m").exec(stdout)?.[1];
    expect(
      Object.fromEntries(
        ["0001", "0002", "0003", "0005", "0006", "0007", "0008", "0010"].map((n) => [
          n,
          statusOf(`hire-2026-11-24-${n}`),
        ]),
      ),
    ).toEqual({
      "0001": "updated",
      "0002": "updated",
      "0003": "skipped",
      "0005": "deferred",
      "0006": "rejected",
      "0007": "rejected",
      // dana is an administrator whose account is years old: an HR event never reaches her (not_a_new_hire).
      "0008": "skipped",
      // noor is a new hire and PIM-eligible Helpdesk Administrator: privileged_account.
      "0010": "skipped",
    });
    // The Global Administrator's account is years old: HR events never reach her. The PIM-eligible Helpdesk
    // Administrator is a new hire, and still never written.
    expect(stdout).toMatch(/^hire-2026-11-24-0008 .*alternateEmail\/profile skipped \(not_a_new_hire\)/m);
    expect(stdout).toMatch(/^hire-2026-11-24-0010 .*mobilePhone\/profile skipped \(privileged_account\)/m);
    // Personal data appears masked only.
    expect(stdout).not.toMatch(/4255550147|mei\.chen@example\.org/);
    expect(stdout).toContain("+1 ***147");
  }, 90_000);
});
