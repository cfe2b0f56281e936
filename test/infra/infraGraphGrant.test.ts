import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { loadSettings } from "../../shared/app/config.js";
import { appPermissions } from "../../shared/directory/appPermissions.js";

// Runs infra/scripts/grant-graph-permissions.sh against a fake `az` that keeps Microsoft Graph state in a
// JSON file: no Azure CLI, no sign-in, no network.

const script = fileURLToPath(new URL("../../infra/scripts/grant-graph-permissions.sh", import.meta.url));
const graphSpId = "11111111-1111-1111-1111-111111111111";
const identityId = "22222222-2222-2222-2222-222222222222";
const roleIds: Record<string, string> = {
  "User.Read.All": "aaaaaaaa-0000-0000-0000-000000000001",
  "User-Phone.ReadWrite.All": "aaaaaaaa-0000-0000-0000-000000000002",
  "User-Mail.ReadWrite.All": "aaaaaaaa-0000-0000-0000-000000000003",
  "UserAuthenticationMethod.ReadWrite.All": "aaaaaaaa-0000-0000-0000-000000000004",
  "Directory.ReadWrite.All": "aaaaaaaa-0000-0000-0000-000000000005",
  "RoleManagement.Read.Directory": "aaaaaaaa-0000-0000-0000-000000000006",
  "GroupMember.Read.All": "aaaaaaaa-0000-0000-0000-000000000007",
  "Domain.Read.All": "aaaaaaaa-0000-0000-0000-000000000008",
  "UserAuthMethod-Phone.ReadWrite.All": "aaaaaaaa-0000-0000-0000-000000000009",
  "UserAuthMethod-Email.ReadWrite.All": "aaaaaaaa-0000-0000-0000-000000000010",
  "AuditLog.Read.All": "aaaaaaaa-0000-0000-0000-000000000011",
  "UserAuthenticationMethod.Read.All": "aaaaaaaa-0000-0000-0000-000000000012",
  // Microsoft's published app-role id (permissions reference).
  "PrivilegedEligibilitySchedule.Read.AzureADGroup": "edb419d6-7edc-42a3-9345-509bfdf5d87c",
};
/** What every deployment needs: read users, write profile phones and mail, and check who is privileged. */
const privilegeRoles = [
  "RoleManagement.Read.Directory",
  "GroupMember.Read.All",
  "PrivilegedEligibilitySchedule.Read.AzureADGroup",
];
const profileRoles = [
  "User.Read.All",
  "User-Phone.ReadWrite.All",
  "User-Mail.ReadWrite.All",
  ...privilegeRoles,
  "Domain.Read.All",
];
/** Read-only: lists every method a user registered, so a user's own are never added to. */
const readMethodsRole = "UserAuthenticationMethod.Read.All";
const phoneMethodsRole = "UserAuthMethod-Phone.ReadWrite.All";
const emailMethodsRole = "UserAuthMethod-Email.ReadWrite.All";
/** Never granted: besides phones and email it creates Temporary Access Passes and deletes any method. */
const broadMethodsRole = "UserAuthenticationMethod.ReadWrite.All";
const reportRole = "AuditLog.Read.All";

interface GraphState {
  assignments: { id: string; appRoleId: string; resourceId: string }[];
  /** How many more reads of the identity's assignments fail (a new identity not yet replicated). */
  unreplicatedReads: number;
  /** Whether granting is refused (the signed-in person lacks the Entra role). */
  denyGrants: boolean;
  /** Whether `az login` was run. */
  signedIn: boolean;
}

// The fake answers exactly the calls the script makes; an unexpected call fails loudly. It is a bash script, like the
// script it serves: a run calls az about ten times, and a node start per call cost seconds per test. Its Graph state
// is a directory (see writeState): files signed-in and deny-grants (there or not), unreplicated-reads (how many
// more reads fail), assignments (one "id<TAB>appRoleId<TAB>resourceId" line each).
const fakeAz = String.raw`#!/usr/bin/env bash
# Options read in one pass, no subshell per lookup: under load every fork costs.
set -f
state=$FAKE_AZ_STATE
call="$1 $2 $3 $4 $5"
all="$*"
method= url= query= body=
while (($# > 1)); do
  case $1 in
    --method) method=$2 ;;
    --url) url=$2 ;;
    --query) query=$2 ;;
    --body) body=$2 ;;
  esac
  shift
done
# The POST body, {"principalId":"…","resourceId":"…","appRoleId":"…"}, split at its quotes: name, colon, value.
read_body() {
  local IFS='"'
  set -- $body
  while (($# > 3)); do
    if [[ $3 == *:* ]]; then
      case $2 in
        principalId) principal=$4 ;;
        resourceId) resource=$4 ;;
        appRoleId) role=$4 ;;
      esac
    fi
    shift 4
  done
}
if [[ $call == "account show"* ]]; then
  if [[ ! -e $state/signed-in ]]; then
    echo "Please run 'az login' to setup account." >&2
    exit 1
  fi
elif [[ $call == "ad sp show --id 00000003-0000-0000-c000-000000000000" && $query == id ]]; then
  echo ${graphSpId}
elif [[ $call == "ad sp show"* && $query == "appRoles[?contains(allowedMemberTypes, 'Application')]"* ]]; then
  printf '%s\t%s\n' ${Object.entries(roleIds).flat().join(" ")}
elif [[ $call != "rest "* ]]; then
  echo "unexpected: az $all" >&2
  exit 2
elif [[ $method == GET && $url == */servicePrincipals/${identityId}/appRoleAssignments ]]; then
  read -r reads <"$state/unreplicated-reads"
  if ((reads > 0)); then
    echo $((reads - 1)) >"$state/unreplicated-reads"
    echo "Resource '${identityId}' does not exist" >&2
    exit 1
  fi
  while IFS=$'\t' read -r id role resource; do
    if [[ $resource == ${graphSpId} ]]; then printf '%s\t%s\n' "$role" "$id"; fi
  done <"$state/assignments"
elif [[ $method == POST && $url == */servicePrincipals/${graphSpId}/appRoleAssignedTo ]]; then
  if [[ -e $state/deny-grants ]]; then
    echo "Forbidden: Authorization_RequestDenied" >&2
    exit 1
  fi
  principal= resource= role=
  read_body
  if [[ $body != "{"*"}" || $principal != ${identityId} || $resource != ${graphSpId} ]]; then
    exit 3
  fi
  count=0
  while read -r _; do count=$((count + 1)); done <"$state/assignments"
  printf 'assignment-%s\t%s\t%s\n' $count "$role" "$resource" >>"$state/assignments"
else
  echo "unexpected: az $all" >&2
  exit 2
fi
`;

/** Writes the fake's Graph state into `dir` (the layout the fake reads above). */
function writeState(dir: string, state: GraphState): void {
  mkdirSync(dir);
  if (state.signedIn) writeFileSync(join(dir, "signed-in"), "");
  if (state.denyGrants) writeFileSync(join(dir, "deny-grants"), "");
  writeFileSync(join(dir, "unreplicated-reads"), String(state.unreplicatedReads));
  writeFileSync(
    join(dir, "assignments"),
    state.assignments.map((a) => `${a.id}\t${a.appRoleId}\t${a.resourceId}\n`).join(""),
  );
}

/** The assignments in the fake's state, in the order they were made. */
function readAssignments(dir: string): GraphState["assignments"] {
  return readFileSync(join(dir, "assignments"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", appRoleId = "", resourceId = ""] = line.split("\t");
      return { id, appRoleId, resourceId };
    });
}

const workDirs: string[] = [];
afterEach(() => {
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fake `azd` whose current environment holds `values`: `azd env get-value NAME` as azd answers it. */
const fakeAzd = (values: Record<string, string>) => `#!/usr/bin/env bash
if [[ "$1 $2" != "env get-value" ]]; then
  echo "unexpected: azd $*" >&2
  exit 2
fi
case "$3" in
${Object.entries(values)
  .map(([name, value]) => `  ${shellQuote(name)}) printf '%s\\n' ${shellQuote(value)} ;;\n`)
  .join("")}  *)
    echo "ERROR: key '$3' not found in the environment values" >&2
    exit 1
    ;;
esac
`;

const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** PATH without any directory that holds a real az or azd. */
function pathWithoutAz(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !existsSync(join(dir, "az")) && !existsSync(join(dir, "azd")))
    .join(delimiter);
}

/**
 * Runs the script (or `options.command`, a command line run by bash in the repo root as a reader pastes it)
 * with the given Graph state and azd environment; returns its output and the state afterwards.
 */
function grant(
  env: Record<string, string>,
  state: Partial<GraphState> = {},
  options: { command?: string; azdValues?: Record<string, string> } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), "graph-grant-"));
  workDirs.push(dir);
  writeFileSync(join(dir, "az"), fakeAz);
  chmodSync(join(dir, "az"), 0o755);
  writeFileSync(join(dir, "azd"), fakeAzd(options.azdValues ?? {}));
  chmodSync(join(dir, "azd"), 0o755);
  const statePath = join(dir, "state");
  writeState(statePath, {
    assignments: [],
    unreplicatedReads: 0,
    denyGrants: false,
    signedIn: true,
    ...state,
  });
  const result = spawnSync("bash", options.command ? ["-c", options.command] : [script], {
    encoding: "utf8",
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    env: {
      PATH: `${dir}${delimiter}${pathWithoutAz()}`,
      FAKE_AZ_STATE: statePath,
      AZURE_IDENTITY_PRINCIPAL_ID: identityId,
      GRAPH_GRANT_RETRY_SECONDS: "0",
      ...env,
    },
  });
  const granted = readAssignments(statePath).map(({ appRoleId }) =>
    Object.keys(roleIds).find((k) => roleIds[k] === appRoleId),
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}`, granted };
}

const assigned = (...roles: string[]) =>
  roles.map((role, i) => ({
    id: `existing-${i}`,
    appRoleId: roleIds[role] as string,
    resourceId: graphSpId,
  }));

describe("grant-graph-permissions.sh", () => {
  it("passes bash's syntax check", () => {
    expect(spawnSync("bash", ["-n", script], { encoding: "utf8" }).status).toBe(0);
  });

  it("grants the profile permissions and the privilege-check reads when CONTACT_TARGET is profile", () => {
    const { status, output, granted } = grant({ CONTACT_TARGET: "profile" });
    expect(status).toBe(0);
    expect(granted.sort()).toEqual([...profileRoles].sort());
    for (const role of profileRoles) expect(output).toContain(`${role}: granted`);
  });

  it("defaults to the profile target when CONTACT_TARGET is unset", () => {
    expect(grant({}).granted.sort()).toEqual([...profileRoles].sort());
  });

  it.each([
    "profile",
    "methods",
    "both",
    "mobilePhone=methods",
    "officePhone=both",
    "alternateEmail=methods",
    "officePhone=profile, alternateEmail=both",
    "mobilePhone=profile,officePhone=profile,alternateEmail=profile",
  ])(
    "grants each narrow methods permission exactly when the code writes that kind of method (CONTACT_TARGET=%s)",
    (target) => {
      const fieldTargets = loadSettings({ CONTACT_TARGET: target }).CONTACT_TARGET;
      const writesMethods = (fieldTarget: string) => fieldTarget !== "profile";
      const { status, granted } = grant({ CONTACT_TARGET: target });
      expect(status).toBe(0);
      expect(granted.includes(phoneMethodsRole)).toBe(
        writesMethods(fieldTargets.mobilePhone) || writesMethods(fieldTargets.officePhone),
      );
      expect(granted.includes(emailMethodsRole)).toBe(writesMethods(fieldTargets.alternateEmail));
      expect(granted.includes(readMethodsRole)).toBe(Object.values(fieldTargets).some(writesMethods));
      expect(granted).not.toContain(broadMethodsRole);
    },
  );

  it("grants the permissions the code asks for when writing methods, never a broader one", () => {
    // The code's own table (shared/directory/appPermissions.ts) names the least privileged permission per call.
    const { granted } = grant({ CONTACT_TARGET: "both" });
    expect(granted).toContain(appPermissions.readAuthMethods.permission);
    expect(granted).toContain(appPermissions.writePhoneMethods.permission);
    expect(granted).toContain(appPermissions.writeEmailMethods.permission);
    expect(granted).toContain(appPermissions.readDomains.permission);
    expect(granted).not.toContain(broadMethodsRole);
  });

  it("points out a broad UserAuthenticationMethod.ReadWrite.All left from an older version, with its removal command", () => {
    const { status, output, granted } = grant(
      { CONTACT_TARGET: "methods" },
      { assignments: assigned(broadMethodsRole) },
    );
    expect(status).toBe(0);
    expect(granted).toContain(phoneMethodsRole);
    expect(output).toContain(`${broadMethodsRole}: granted, and broader than this app needs`);
    expect(output).toContain("appRoleAssignments/existing-0");
  });

  it.each([
    ["true", true],
    ["false", false],
    ["", false],
  ])(
    "grants the registration report's AuditLog.Read.All only when asked (GRANT_REGISTRATION_REPORT=%j)",
    (value, expected) => {
      const { status, granted } = grant({ GRANT_REGISTRATION_REPORT: value });
      expect(status).toBe(0);
      expect(granted.includes(reportRole)).toBe(expected);
    },
  );

  it("refuses a GRANT_REGISTRATION_REPORT that is not true or false, granting nothing", () => {
    const { status, output, granted } = grant({ GRANT_REGISTRATION_REPORT: "yes" });
    expect(status).toBe(1);
    expect(output).toContain("GRANT_REGISTRATION_REPORT must be true or false");
    expect(granted).toEqual([]);
  });

  it("skips permissions already granted and grants only the missing ones", () => {
    const { status, output, granted } = grant(
      { CONTACT_TARGET: "both" },
      { assignments: assigned("User.Read.All", "User-Mail.ReadWrite.All") },
    );
    expect(status).toBe(0);
    expect(granted.slice(2).sort()).toEqual(
      [
        "User-Phone.ReadWrite.All",
        ...privilegeRoles,
        "Domain.Read.All",
        readMethodsRole,
        phoneMethodsRole,
        emailMethodsRole,
      ].sort(),
    );
    expect(output).toContain("User.Read.All: already granted");
    expect(output).toContain("User-Mail.ReadWrite.All: already granted");
  });

  it("changes nothing when run again", () => {
    const { status, granted } = grant(
      { CONTACT_TARGET: "methods" },
      { assignments: assigned(...profileRoles, readMethodsRole, phoneMethodsRole, emailMethodsRole) },
    );
    expect(status).toBe(0);
    expect(granted).toHaveLength(profileRoles.length + 3);
  });

  it("grants nothing in a dry run", () => {
    const { status, output, granted } = grant({ CONTACT_TARGET: "both", GRAPH_GRANT_DRY_RUN: "1" });
    expect(status).toBe(0);
    expect(granted).toEqual([]);
    expect(output).toContain(`${phoneMethodsRole}: would grant (dry run)`);
  });

  it("waits for a new identity to reach Microsoft Graph", () => {
    const { status, output, granted } = grant({ CONTACT_TARGET: "profile" }, { unreplicatedReads: 2 });
    expect(status).toBe(0);
    expect(output).toContain("waiting for the new identity");
    expect(granted).toHaveLength(profileRoles.length);
  });

  it("fails with the Entra roles that can grant when the signed-in person cannot", () => {
    const { status, output } = grant({ CONTACT_TARGET: "profile" }, { denyGrants: true });
    expect(status).toBe(1);
    expect(output).toContain("Privileged Role Administrator or Global");
    expect(output).toContain(`AZURE_IDENTITY_PRINCIPAL_ID=${identityId}`);
  });

  it("points out the methods permissions when the target no longer needs them, without removing them", () => {
    const { status, output, granted } = grant(
      { CONTACT_TARGET: "profile" },
      { assignments: assigned(...profileRoles, readMethodsRole, phoneMethodsRole, emailMethodsRole) },
    );
    expect(status).toBe(0);
    expect(granted).toHaveLength(profileRoles.length + 3);
    expect(output).toContain(`${readMethodsRole}: granted but not needed`);
    expect(output).toContain(`${phoneMethodsRole}: granted but not needed`);
    expect(output).toContain(`${emailMethodsRole}: granted but not needed`);
    // The methods roles were assigned after the profile roles: existing-{profileRoles.length} and the next two.
    for (const k of [0, 1, 2])
      expect(output).toContain(`appRoleAssignments/existing-${profileRoles.length + k}`);
  });

  it("rejects a CONTACT_TARGET the code rejects too", () => {
    expect(() => loadSettings({ CONTACT_TARGET: "email=methods" })).toThrow();
    const { status, output, granted } = grant({ CONTACT_TARGET: "email=methods" });
    expect(status).toBe(1);
    expect(output).toContain("CONTACT_TARGET must be");
    expect(granted).toEqual([]);
  });

  it.each(["profile", "methods", "both"])(
    "always grants the reads the privileged-account check needs, which fails closed without them (CONTACT_TARGET=%s)",
    (target) => {
      const { status, output, granted } = grant({ CONTACT_TARGET: target });
      expect(status).toBe(0);
      for (const role of privilegeRoles) {
        expect(granted).toContain(role);
        expect(output).toContain(`${role}: granted`);
      }
    },
  );

  it("grants the same base permissions as the PowerShell script", () => {
    const sh = /^roles=\(([^)]*)\)/m.exec(readFileSync(script, "utf8"))?.[1]?.split(/\s+/).filter(Boolean);
    const ps1 = /^\$roles = @\(([^)]*)\)/m
      .exec(readFileSync(script.replace(/\.sh$/, ".ps1"), "utf8"))?.[1]
      ?.split(",")
      .map((role) => role.trim().replace(/^'|'$/g, ""));
    expect(sh?.sort()).toEqual([...profileRoles].sort());
    expect(ps1?.sort()).toEqual([...profileRoles].sort());
  });

  it("fails, so azd up stops, printing the command for an administrator in bash and PowerShell and what comes next", () => {
    const { status, output, granted } = grant({ CONTACT_TARGET: "both" }, { denyGrants: true });
    expect(status).not.toBe(0);
    expect(granted).toEqual([]);
    expect(output).toContain("grant-graph-permissions: FAILED");
    expect(output).toContain(
      `AZURE_IDENTITY_PRINCIPAL_ID=${identityId} CONTACT_TARGET='both' bash infra/scripts/grant-graph-permissions.sh`,
    );
    expect(output).toContain(
      `$env:AZURE_IDENTITY_PRINCIPAL_ID='${identityId}'; $env:CONTACT_TARGET='both'; ./infra/scripts/grant-graph-permissions.ps1`,
    );
    expect(output).toContain("Then run 'azd up' again.");
  });

  it("is not told by azure.yaml to let azd go on after a failed grant", () => {
    const azureYaml = readFileSync(fileURLToPath(new URL("../../azure.yaml", import.meta.url)), "utf8");
    expect(azureYaml).toContain("run: bash infra/scripts/grant-graph-permissions.sh");
    expect(azureYaml).not.toMatch(/continueOnError:\s*true/);
  });

  it("fails with how to install the Azure CLI when az is not on PATH", () => {
    const { status, output } = grant({ PATH: pathWithoutAz() });
    expect(status).toBe(1);
    expect(output).toContain("the Azure CLI (az) is not installed or not on PATH");
    expect(output).toContain("https://aka.ms/azcli");
  });

  it("fails with az login when the Azure CLI is not signed in, granting nothing", () => {
    const { status, output, granted } = grant({}, { signedIn: false });
    expect(status).toBe(1);
    expect(output).toContain("Run 'az login'");
    expect(granted).toEqual([]);
  });

  it("runs the dry-run command of docs/deploy.md as pasted, taking the identity from the azd environment", () => {
    const deployDoc = readFileSync(fileURLToPath(new URL("../../docs/deploy.md", import.meta.url)), "utf8");
    const command = /^(GRAPH_GRANT_DRY_RUN=1 [^\n#]*?)\s*(#.*)?$/m.exec(deployDoc)?.[1];
    expect(command).toBe("GRAPH_GRANT_DRY_RUN=1 bash infra/scripts/grant-graph-permissions.sh");
    // azd in a clone after `azd provision`: the environment holds the identity's object id and the target.
    const { status, output, granted } = grant(
      { AZURE_IDENTITY_PRINCIPAL_ID: "", CONTACT_TARGET: "" },
      {},
      {
        command: command ?? "",
        azdValues: { AZURE_IDENTITY_PRINCIPAL_ID: identityId, CONTACT_TARGET: "both" },
      },
    );
    expect(output).toContain(`for identity ${identityId} (CONTACT_TARGET=both)`);
    expect(output).toContain(`${phoneMethodsRole}: would grant (dry run)`);
    expect(granted).toEqual([]);
    expect(status).toBe(0);
  });

  it("needs the identity's object id", () => {
    const { status, output } = grant({ AZURE_IDENTITY_PRINCIPAL_ID: "" });
    expect(status).toBe(1);
    expect(output).toContain("AZURE_IDENTITY_PRINCIPAL_ID is not set");
  });
});
