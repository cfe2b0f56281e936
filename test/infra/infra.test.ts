import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSettings, settingNames } from "../../shared/app/config.js";
import { hostBodyLimitBytes } from "../../shared/http/bodyLimits.js";
import { type MetricKey, metricCatalog, safeDimensions } from "../../shared/metrics/metrics.js";
import { webhookReceiptsTable } from "../../shared/storage/tableWebhookReceipts.js";
import { writeBudgetTable } from "../../shared/storage/tableWriteBudget.js";
import { alertQueryFiles, filtersOf, repoText } from "../support/metricQueries.js";

// Checks the ARM JSON that `npm run infra:build` compiles from infra/main.bicep. ARM evaluates expressions
// only at deployment, so these tests read what is literal in the template: property values, app setting
// names, parameter defaults, role GUIDs.

const root = fileURLToPath(new URL("../..", import.meta.url));
const armFile = join(root, ".tools", "arm", "main.json");
const infraDir = join(root, "infra");

interface ArmTemplate {
  languageVersion?: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
}

interface ArmResource {
  type: string;
  name: string;
  existing?: boolean;
  condition?: string;
  scope?: string;
  tags?: unknown;
  properties?: Record<string, unknown> & { template?: ArmTemplate };
}

/** A deployed resource and the (module) template that declares it, for resolving its variables. */
interface Declared {
  resource: ArmResource;
  template: ArmTemplate;
}

/** Every resource of a template and of its nested module templates; `existing` references are left out. */
function declaredResources(template: ArmTemplate): Declared[] {
  const resources = Array.isArray(template.resources)
    ? template.resources
    : Object.values(template.resources);
  return resources.flatMap((resource) => {
    if (resource.existing) return [];
    const nested =
      resource.type === "Microsoft.Resources/deployments" ? resource.properties?.template : undefined;
    return [{ resource, template }, ...(nested ? declaredResources(nested) : [])];
  });
}

/** Newest modification time of the Bicep sources; the ARM file is stale when older. */
function newestSourceTime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return Math.max(newest, newestSourceTime(path));
    // .kql: the alert queries Bicep loads with loadTextContent are sources too.
    return /\.(bicep|json|kql)$/.test(entry.name) ? Math.max(newest, statSync(path).mtimeMs) : newest;
  }, 0);
}

const armIsFresh = existsSync(armFile) && statSync(armFile).mtimeMs >= newestSourceTime(infraDir);
const dotnetAvailable = spawnSync("dotnet", ["--version"]).status === 0;
const bicepRestored = existsSync(join(root, ".tools", "nuget"));
const skipReason =
  armIsFresh || dotnetAvailable || bicepRestored
    ? undefined
    : "the .NET SDK (dotnet) is not installed, so the pinned Bicep CLI cannot be restored from NuGet";
if (skipReason) {
  console.warn(
    `\n${"!".repeat(100)}\nSKIPPING the infrastructure tests: ${skipReason}.\nInstall the .NET SDK and run \`npm run infra:build\`.\n${"!".repeat(100)}\n`,
  );
}

/** Settings the code reads only when running locally; Azure must not have them. */
// GRAPH_AUTH and AZURE_TENANT_ID choose the CLI's sign-in on an admin's workstation; the app uses its identity.
const localOnlySettings = ["GRAPH_ACCESS_TOKEN", "PORT", "GRAPH_AUTH", "AZURE_TENANT_ID"];

/**
 * Settings the code reads that App Service sets itself, each with why the template must never set them: a
 * value from the template would claim what only the platform can know.
 */
const settingsAzureSets: Record<string, string> = {
  WEBSITE_AUTH_ENABLED:
    "App Service injects True when its authentication (authsettingsV2) runs and strips forged x-ms-client-principal headers; set by hand, it would make the app trust forged principals",
  WEBSITE_AUTH_V2_CONFIG_JSON:
    "App Service populates it from authsettingsV2; doctor reads it to confirm WEBSITE_AUTH_ENABLED, so a copy set by hand would defeat that",
  WEBSITE_SITE_NAME: "App Service sets the app's name, which the metrics carry as their cloud role",
};

/**
 * What the template sets for a setting the code reads under another name. Locally `AzureWebJobsStorage` is
 * a connection string (Azurite); in Azure the storage account allows no shared key, so the host and the
 * code's queue and table clients use these identity-based settings with the managed identity instead.
 */
const settingsSetUnderAnotherName: Record<string, string[]> = {
  AzureWebJobsStorage: ["AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"],
};

/** App settings the code does not read, each with the reason the platform needs it. */
const platformSettings: Record<string, string> = {
  AzureWebJobsStorage__credential: "the Functions host connects to its storage with a managed identity",
  AzureWebJobsStorage__clientId:
    "which managed identity: the user-assigned one (there is no system identity)",
  AzureWebJobsStorage__blobServiceUri: "host state (leases, keys, timers) lives in blobs",
  AzureWebJobsStorage__queueServiceUri: "the queue trigger reads the HR event queue",
  AzureWebJobsStorage__tableServiceUri: "the host writes diagnostic events to tables",
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT:
    "the Functions host refuses a body larger than any function reads before it buffers it (100 MB by default)",
};

const roleIds = {
  storageBlobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
  storageQueueDataContributor: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
  storageTableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  storageTableDataReader: "76199698-9eea-4c19-bc75-cec21354c6b6",
  monitoringMetricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
  keyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
};
const broadRoleIds = {
  owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  userAccessAdministrator: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
};

describe.skipIf(skipReason !== undefined)("infrastructure (compiled ARM template)", () => {
  let main: ArmTemplate;
  let all: Declared[];

  beforeAll(() => {
    if (!armIsFresh) {
      const build = spawnSync(process.execPath, [join(root, "scripts", "infra-build.mjs")], {
        cwd: root,
        encoding: "utf8",
      });
      if (build.status !== 0) throw new Error(`npm run infra:build failed:\n${build.stdout}${build.stderr}`);
    }
    main = JSON.parse(readFileSync(armFile, "utf8"));
    all = declaredResources(main);
  }, 180_000);

  const ofType = (type: string) => all.filter(({ resource }) => resource.type === type);
  const one = (type: string, nameIncludes = "") => {
    const found = ofType(type).filter(({ resource }) => resource.name.includes(nameIncludes));
    expect(found, `${type} ${nameIncludes}`).toHaveLength(1);
    return found[0] as Declared;
  };
  const props = (declared: Declared) => declared.resource.properties ?? {};
  const appSettings = () =>
    props(one("Microsoft.Web/sites/config", "'appsettings'")) as Record<string, string>;
  const moduleParameters = (name: string) => {
    const modules = ofType("Microsoft.Resources/deployments").filter(
      ({ resource }) => resource.name === name,
    );
    expect(modules, `module ${name}`).toHaveLength(1);
    return (modules[0]?.resource.properties?.parameters ?? {}) as Record<string, { value: unknown }>;
  };

  describe("storage", () => {
    it("allows identity-based access only, over TLS 1.2+ and HTTPS, with no public blobs", () => {
      const storage = props(one("Microsoft.Storage/storageAccounts"));
      expect(storage).toMatchObject({
        allowSharedKeyAccess: false,
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        supportsHttpsTrafficOnly: true,
      });
    });

    it("creates the HR event queue, its poison queue, the product's tables and the deployment container", () => {
      expect(main.variables?.queueNames).toEqual([
        "[parameters('onboardingQueue')]",
        "[format('{0}-poison', parameters('onboardingQueue'))]",
      ]);
      expect(main.parameters?.onboardingQueue?.defaultValue).toBe("hr-onboarding");
      expect(moduleParameters("storage").queueNames?.value).toBe("[variables('queueNames')]");
      expect(moduleParameters("storage").tableNames?.value).toBe(
        "[concat(variables('deployerWritableTables'), createArray(variables('writeBudgetTable')))]",
      );
      expect(main.parameters?.outcomesTable?.defaultValue).toBe("ContactOutcomes");
      expect(ofType("Microsoft.Storage/storageAccounts/queueServices/queues")).toHaveLength(1);
      expect(ofType("Microsoft.Storage/storageAccounts/tableServices/tables")).toHaveLength(1);
      expect(props(one("Microsoft.Storage/storageAccounts/blobServices/containers"))).toEqual({
        publicAccess: "None",
      });
    });
  });

  describe("function app", () => {
    it("runs Node 22 LTS on a Flex Consumption plan (Node 20 reached end of life on 30 April 2026)", () => {
      expect(one("Microsoft.Web/serverfarms").resource).toMatchObject({
        sku: { name: "FC1", tier: "FlexConsumption" },
      });
      const config = props(one("Microsoft.Web/sites")).functionAppConfig as Record<
        string,
        Record<string, unknown>
      >;
      expect(config.runtime).toEqual({ name: "node", version: "[parameters('nodeVersion')]" });
      expect(main.parameters?.nodeVersion?.defaultValue).toBe("22");
      expect(main.parameters?.nodeVersion?.allowedValues).toEqual(["22"]);
    });

    it("deploys from the blob container with the user-assigned identity", () => {
      const config = props(one("Microsoft.Web/sites")).functionAppConfig as {
        deployment: { storage: Record<string, unknown> };
      };
      expect(config.deployment.storage).toMatchObject({
        type: "blobContainer",
        authentication: {
          type: "UserAssignedIdentity",
          userAssignedIdentityResourceId: "[parameters('identityId')]",
        },
      });
    });

    it("serves HTTPS only with TLS 1.2+ and no FTP", () => {
      const site = props(one("Microsoft.Web/sites"));
      expect(site.httpsOnly).toBe(true);
      expect(site.siteConfig).toMatchObject({ minTlsVersion: "1.2", ftpsState: "Disabled" });
    });

    it("turns off basic publishing credentials for both FTP and SCM", () => {
      const policies = ofType("Microsoft.Web/sites/basicPublishingCredentialsPolicies");
      expect(policies.map(({ resource }) => resource.name.match(/'(ftp|scm)'/)?.[1]).sort()).toEqual([
        "ftp",
        "scm",
      ]);
      for (const policy of policies) expect(props(policy)).toEqual({ allow: false });
    });

    it("resolves Key Vault references with the user-assigned identity", () => {
      const site = one("Microsoft.Web/sites");
      expect(props(site).keyVaultReferenceIdentity).toBe("[parameters('identityId')]");
      expect(site.resource).toMatchObject({ identity: { type: "UserAssigned" } });
    });

    it("is tagged as the azd service `api`", () => {
      expect(one("Microsoft.Web/sites").resource.tags).toContain("'azd-service-name', 'api'");
    });
  });

  describe("app settings", () => {
    it("connect the host to storage through the managed identity, never with a connection string", () => {
      const settings = appSettings();
      expect(settings.AzureWebJobsStorage__credential).toBe("managedidentity");
      for (const suffix of ["clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"]) {
        expect(settings, suffix).toHaveProperty(`AzureWebJobsStorage__${suffix}`);
      }
      expect(settings).not.toHaveProperty("AzureWebJobsStorage");
      expect(JSON.stringify(settings)).not.toMatch(/AccountKey|listKeys|SharedAccessSignature/i);
    });

    it("describe CONTACT_TARGET's methods permissions as the narrow ones the grant scripts give", () => {
      const parameter = main.parameters?.contactTarget as { metadata?: { description?: string } } | undefined;
      const description = parameter?.metadata?.description ?? "";
      for (const permission of [
        "UserAuthenticationMethod.Read.All",
        "UserAuthMethod-Phone.ReadWrite.All",
        "UserAuthMethod-Email.ReadWrite.All",
      ]) {
        expect(description).toContain(permission);
      }
      // The broad permission appears only as what is never granted.
      expect(description.split("UserAuthenticationMethod.ReadWrite.All")).toHaveLength(2);
      expect(description).toContain("never the broad UserAuthenticationMethod.ReadWrite.All");
    });

    it("have the Functions host refuse a body over the app's largest accepted one, before any handler runs", () => {
      expect(appSettings().FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).toBe(String(hostBodyLimitBytes));
    });

    it("send telemetry with an Entra token", () => {
      expect(appSettings().APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toContain("Authorization=AAD");
      expect(props(one("Microsoft.Insights/components")).DisableLocalAuth).toBe(true);
    });

    it.each(localOnlySettings)("do not set the local-only setting %s", (name) => {
      expect(appSettings()).not.toHaveProperty(name);
    });

    it("leave the worker runtime to functionAppConfig, as Flex Consumption requires", () => {
      expect(appSettings()).not.toHaveProperty("FUNCTIONS_WORKER_RUNTIME");
      expect(appSettings()).not.toHaveProperty("FUNCTIONS_EXTENSION_VERSION");
    });

    it.each(["HR_WEBHOOK_SECRETS", "BAMBOOHR_WEBHOOK_KEY", "SCIM_TOKEN", "APP_SIGNING_KEY"])(
      "take %s from Key Vault, or leave it empty when no value was given",
      (name) => {
        const value = appSettings()[name];
        expect(value).toMatch(
          /^\[if\(empty\(.*\), '', format\('@Microsoft\.KeyVault\(SecretUri=\{0\}secrets\/\{1\}\/\)'/,
        );
      },
    );
  });

  describe("drift between the template and shared/app/config.ts", () => {
    const expectedFromCode = settingNames
      .filter((name) => !localOnlySettings.includes(name) && !(name in settingsAzureSets))
      .flatMap((name) => settingsSetUnderAnotherName[name] ?? [name]);

    it.each(expectedFromCode)("the template sets %s, which the code reads", (name) => {
      expect(appSettings()).toHaveProperty(name);
    });

    it.each(Object.entries(settingsAzureSets))(
      "the template never sets %s, which App Service sets: %s",
      (name) => {
        expect(settingNames).toContain(name);
        expect(appSettings()).not.toHaveProperty(name);
        expect(JSON.stringify(main)).not.toMatch(new RegExp(`['"]${name}['"]`));
      },
    );

    it("every app setting is read by the code or is a platform setting with a reason", () => {
      const known = new Set<string>([...settingNames, ...Object.keys(platformSettings)]);
      expect(Object.keys(appSettings()).filter((name) => !known.has(name))).toEqual([]);
    });

    /** The main.bicep parameter behind each product setting passed to the api module. */
    const productParameters = () =>
      Object.entries(moduleParameters("api").settings?.value as Record<string, string>).map(
        ([setting, value]) => {
          const parameter = /parameters\('(\w+)'\)/.exec(value)?.[1];
          expect(parameter, `${setting} = ${value}`).toBeDefined();
          return { setting, parameter: parameter as string };
        },
      );

    it("every product setting defaults to what the code uses when the setting is absent", () => {
      const codeDefaults = loadSettings({}) as Record<string, unknown>;
      for (const { setting, parameter } of productParameters()) {
        const templateDefault = String(main.parameters?.[parameter]?.defaultValue);
        const parsed = loadSettings({ [setting]: templateDefault }) as Record<string, unknown>;
        expect(parsed[setting], `${setting}=${templateDefault}`).toEqual(codeDefaults[setting]);
      }
    });

    it("every value a product parameter allows is accepted by the code", () => {
      for (const { setting, parameter } of productParameters()) {
        for (const allowed of main.parameters?.[parameter]?.allowedValues ?? []) {
          expect(() => loadSettings({ [setting]: String(allowed) }), `${setting}=${allowed}`).not.toThrow();
        }
      }
    });

    it("azd passes every product setting from the azd environment variable of the same name", () => {
      const file = JSON.parse(readFileSync(join(infraDir, "main.parameters.json"), "utf8")) as {
        parameters: Record<string, { value: string }>;
      };
      for (const { setting, parameter } of productParameters()) {
        const value = file.parameters[parameter]?.value;
        expect(value, setting).toMatch(new RegExp(`^\\$\\{${setting}(=.*)?\\}$`));
        const fallback = /=(.*)\}$/.exec(value ?? "")?.[1];
        if (fallback !== undefined)
          expect(fallback, setting).toBe(String(main.parameters?.[parameter]?.defaultValue));
      }
    });
  });

  describe("role assignments", () => {
    const assignments = () =>
      ofType("Microsoft.Authorization/roleAssignments").map(({ resource, template }) => {
        const definition = String(resource.properties?.roleDefinitionId);
        const variable = /variables\('roles'\)\.(\w+)/.exec(definition)?.[1];
        const roles = template.variables?.roles as Record<string, string> | undefined;
        const roleId = variable ? roles?.[variable] : /[0-9a-f]{8}-[0-9a-f-]{27}/.exec(definition)?.[0];
        return { roleId, scope: String(resource.scope), principal: String(resource.properties?.principalId) };
      });
    const forIdentity = () =>
      assignments().filter(({ principal }) => principal === "[reference('identity').principalId]");

    it("use only the six data-plane roles, never Owner, Contributor or User Access Administrator", () => {
      const allowed = Object.values(roleIds);
      for (const { roleId } of assignments()) {
        expect(allowed).toContain(roleId);
        expect(Object.values(broadRoleIds)).not.toContain(roleId);
      }
    });

    it.each([
      ["storageBlobDataOwner", "Microsoft.Storage/storageAccounts'"],
      ["storageQueueDataContributor", "Microsoft.Storage/storageAccounts/queueServices/queues'"],
      ["storageTableDataContributor", "Microsoft.Storage/storageAccounts'"],
      ["monitoringMetricsPublisher", "Microsoft.Insights/components'"],
      ["keyVaultSecretsUser", "Microsoft.KeyVault/vaults'"],
    ] as const)("grant the app identity %s scoped to %s", (role, scopeType) => {
      const granted = forIdentity().filter(({ roleId }) => roleId === roleIds[role]);
      expect(granted).toHaveLength(1);
      expect(granted[0]?.scope).toContain(`resourceId('${scopeType}`);
    });

    it("give the deploying person storage data roles only when a principal id is given", () => {
      const forPerson = assignments().filter(
        ({ principal }) => principal === "[parameters('userPrincipalId')]",
      );
      expect(forPerson.map(({ roleId }) => roleId).sort()).toEqual(
        [
          roleIds.storageBlobDataOwner,
          roleIds.storageQueueDataContributor,
          roleIds.storageTableDataReader,
          roleIds.storageTableDataContributor,
        ].sort(),
      );
      const conditions = ofType("Microsoft.Authorization/roleAssignments")
        .filter(({ resource }) => resource.properties?.principalId === "[parameters('userPrincipalId')]")
        .map(({ resource }) => resource.condition);
      expect(new Set(conditions)).toEqual(new Set(["[not(empty(parameters('userPrincipalId')))]"]));
    });

    it("give the deployer no data-plane role unless GRANT_DEPLOYER_DATA_ACCESS is true (the queue is a write path)", () => {
      expect(main.parameters?.grantDeployerDataAccess?.defaultValue).toBe("false");
      expect(moduleParameters("rbac").userPrincipalId).toBe(
        "[if(equals(parameters('grantDeployerDataAccess'), 'true'), createObject('value', parameters('principalId')), createObject('value', ''))]",
      );
    });

    // The budget row pauses every process's Graph writes: whoever may write it can stall the fleet.
    it("let only the app's identity write the write-budget table: the deployer reads it, and writes only the outcomes and webhook receipts", () => {
      const tableWriters = assignments().filter(
        ({ roleId, scope }) =>
          roleId === roleIds.storageTableDataContributor &&
          scope.includes("'Microsoft.Storage/storageAccounts'"),
      );
      expect(tableWriters.map(({ principal }) => principal)).toEqual(["[reference('identity').principalId]"]);
      const personWrites = assignments().filter(
        ({ principal, roleId }) =>
          principal === "[parameters('userPrincipalId')]" && roleId === roleIds.storageTableDataContributor,
      );
      expect(personWrites.map(({ scope }) => scope)).toEqual([
        "[resourceId('Microsoft.Storage/storageAccounts/tableServices/tables', parameters('storageAccountName'), 'default', parameters('deployerWritableTables')[copyIndex()])]",
      ]);
      const personReads = assignments().filter(
        ({ principal, roleId }) =>
          principal === "[parameters('userPrincipalId')]" && roleId === roleIds.storageTableDataReader,
      );
      expect(personReads.map(({ scope }) => scope)).toEqual([
        "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]",
      ]);
      expect(moduleParameters("rbac").deployerWritableTables?.value).toBe(
        "[variables('deployerWritableTables')]",
      );
      expect(main.variables?.deployerWritableTables).toEqual([
        "[parameters('outcomesTable')]",
        webhookReceiptsTable,
      ]);
      expect(main.variables?.deployerWritableTables).not.toContain(writeBudgetTable);
      // The tables exist before roles are scoped to them (see "storage"), under the names the code uses.
      expect(main.variables?.writeBudgetTable).toBe(writeBudgetTable);
    });

    it("name each role GUID in a trailing comment in the Bicep source", () => {
      const source = readFileSync(join(infraDir, "app", "rbac.bicep"), "utf8");
      expect(source).toContain("'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner");
      expect(source).toContain("'974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor");
      expect(source).toContain("'0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor");
      expect(source).toContain("'76199698-9eea-4c19-bc75-cec21354c6b6' // Storage Table Data Reader");
      expect(source).toContain("'3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher");
      expect(source).toContain("'4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User");
    });
  });

  describe("key vault", () => {
    it("uses RBAC authorization, soft delete and purge protection", () => {
      expect(props(one("Microsoft.KeyVault/vaults"))).toMatchObject({
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        enablePurgeProtection: true,
      });
    });

    it("takes the webhook secrets and the app's signing key as secure parameters and stores each only when given", () => {
      for (const parameter of ["hrWebhookSecrets", "bambooHrWebhookKey", "scimToken", "appSigningKey"]) {
        expect(main.parameters?.[parameter]?.type, parameter).toBe("securestring");
      }
      const conditions = ofType("Microsoft.KeyVault/vaults/secrets").map(
        ({ resource }) => resource.condition,
      );
      expect(conditions.sort()).toEqual([
        "[not(empty(parameters('appSigningKey')))]",
        "[not(empty(parameters('bambooHrWebhookKey')))]",
        "[not(empty(parameters('hrWebhookSecrets')))]",
        "[not(empty(parameters('scimToken')))]",
      ]);
    });

    it("never returns a secure value as an output", () => {
      const secure = Object.entries(main.parameters ?? {})
        .filter(([, parameter]) => parameter.type === "securestring")
        .map(([name]) => name);
      expect(JSON.stringify(main.outputs)).not.toMatch(new RegExp(secure.join("|")));
    });
  });

  describe("Easy Auth in front of the helpdesk API", () => {
    const auth = () => one("Microsoft.Web/sites/config", "'authsettingsV2'");

    it("is on by default: helpdeskEasyAuth defaults to true and azd passes HELPDESK_EASY_AUTH, falling back to true", () => {
      expect(main.parameters?.helpdeskEasyAuth).toMatchObject({ type: "bool", defaultValue: true });
      const file = JSON.parse(readFileSync(join(infraDir, "main.parameters.json"), "utf8")) as {
        parameters: Record<string, { value: string }>;
      };
      // azd's own ${NAME=default} substitution syntax, not a template literal.
      const azdVariable = (name: string) => `\${${name}}`;
      expect(file.parameters.helpdeskEasyAuth?.value).toBe(azdVariable("HELPDESK_EASY_AUTH=true"));
      expect(file.parameters.authClientId?.value).toBe(azdVariable("AUTH_CLIENT_ID"));
    });

    it("is configured exactly when helpdeskEasyAuth is true, not when a client id happens to be given", () => {
      expect(moduleParameters("api").easyAuth?.value).toBe("[parameters('helpdeskEasyAuth')]");
      expect(auth().resource.condition).toBe("[parameters('easyAuth')]");
    });

    it("fails the deployment when Easy Auth is on without an app registration client id, saying how to fix it", () => {
      // Compiled as one expression: the client id when Easy Auth is off or one is given, else ARM's fail().
      const clientId = JSON.stringify(moduleParameters("api").authClientId);
      expect(clientId).toContain(
        "if(or(not(parameters('helpdeskEasyAuth')), not(empty(parameters('authClientId')))), createObject('value', parameters('authClientId')), createObject('value', fail('AUTH_CLIENT_ID is empty",
      );
      expect(clientId).toContain("azd env set AUTH_CLIENT_ID");
      expect(clientId).toContain("HELPDESK_EASY_AUTH false");
    });

    it("requires an Entra token on every route, answers 401 without a login redirect, over HTTPS only", () => {
      expect(props(auth())).toMatchObject({
        platform: { enabled: true },
        httpSettings: { requireHttps: true },
        globalValidation: { requireAuthentication: true, unauthenticatedClientAction: "Return401" },
        identityProviders: {
          azureActiveDirectory: {
            enabled: true,
            registration: { clientId: "[parameters('authClientId')]" },
            validation: {
              allowedAudiences: [
                "[parameters('authClientId')]",
                "[format('api://{0}', parameters('authClientId'))]",
              ],
            },
          },
        },
      });
    });

    it("lets through exactly the HR webhook routes, which authenticate by signature, and the health check, and no helpdesk route", async () => {
      expect(props(auth()).globalValidation).toMatchObject({ excludedPaths: "[variables('keyOnlyPaths')]" });
      const excluded = auth().template.variables?.keyOnlyPaths as string[];
      const { loadFunctions } = await import("../../local/loadFunctions.js");
      const webhookRoutes = (await loadFunctions())
        .filter((r) => r.kind === "http" && (r.name.startsWith("hr") || r.name === "health"))
        .map((r) => (r.kind === "http" ? `/api/${r.options.route}` : ""));
      expect([...excluded].sort()).toEqual(webhookRoutes.sort());
      expect(excluded.filter((path) => /contact-info|outcomes|users/.test(path))).toEqual([]);
    });

    it("excludes no path that could be read as a prefix of a route Easy Auth must guard", async () => {
      // App Service documents excludedPaths without saying whether a path also covers the ones below it, so
      // no excluded path may be the start of another route: `/api/health` once sat above the admin's deep check.
      const excluded = auth().template.variables?.keyOnlyPaths as string[];
      const { loadFunctions } = await import("../../local/loadFunctions.js");
      const guarded = (await loadFunctions())
        .flatMap((r) => (r.kind === "http" ? [`/api/${r.options.route}`] : []))
        .filter((route) => !excluded.includes(route));
      expect(guarded).toContain("/api/doctor");
      for (const route of guarded) {
        expect(
          excluded.filter((path) => route.toLowerCase().startsWith(`${path.toLowerCase()}/`)),
          route,
        ).toEqual([]);
      }
    });
  });

  describe("operator signals (alerts, action group, workbook)", () => {
    /** A template expression `[variables('x')]` resolved in its own (module) template; other values as they are. */
    const resolved = (declared: Declared, value: unknown): unknown => {
      const variable =
        typeof value === "string" ? /^\[variables\('([^']+)'\)\]$/.exec(value)?.[1] : undefined;
      return variable === undefined ? value : declared.template.variables?.[variable];
    };
    const rule = (suffix: string) => {
      const declared = one("Microsoft.Insights/scheduledQueryRules", `-${suffix}'`);
      const properties = props(declared) as {
        scopes: string[];
        evaluationFrequency: string;
        windowSize: string;
        autoMitigate: boolean;
        actions: unknown;
        criteria: { allOf: Array<Record<string, unknown> & { query: string }> };
      };
      const [criterion] = properties.criteria.allOf;
      return {
        declared,
        properties,
        criterion: {
          ...criterion,
          query: resolved(declared, criterion?.query) as string,
          metricMeasureColumn: String(criterion?.metricMeasureColumn),
        },
      };
    };
    /** Metric names by catalog key, imported from the code: the one source of truth. */
    const nameOf = (key: MetricKey) => metricCatalog[key].name;
    const keyOf = (name: string) =>
      (Object.keys(metricCatalog) as MetricKey[]).find((key) => metricCatalog[key].name === name);

    it.each([
      ["poison-queue", alertQueryFiles.poisonQueue, "queueDepth", { queue: "poison" }],
      ["failed-outcomes", alertQueryFiles.failedOutcomes, "outcomes", { status: "failed" }],
      ["graph-throttled", alertQueryFiles.graphThrottled, "graphThrottled", {}],
      ["privileged-written", alertQueryFiles.privilegedWritten, "privilegedWritten", {}],
      ["fleet-paused", alertQueryFiles.fleetPaused, "fleetPauseDistrusted", {}],
    ] as const)(
      "the %s rule runs %s, which reads the metric the code emits under that name and those dimensions",
      (suffix, file, metric, dimensions) => {
        const { criterion } = rule(suffix);
        expect(criterion.query).toBe(repoText(file));
        const filters = filtersOf(criterion.query);
        expect(filters.names).toEqual([nameOf(metric)]);
        expect(filters.requires).toEqual(dimensions);
        // Each value the query requires is one the code's guard lets through for that metric.
        expect(safeDimensions(metric, filters.requires)).toMatchObject(filters.requires);
        // The column the rule aggregates is the one the query computes.
        expect(criterion.query).toMatch(new RegExp(`extend ${criterion.metricMeasureColumn} = `));
      },
    );

    it("alert when the poison queue holds any message, measured over 15 minutes every 5", () => {
      const { properties, criterion } = rule("poison-queue");
      expect(properties).toMatchObject({
        evaluationFrequency: "PT5M",
        windowSize: "PT15M",
        autoMitigate: true,
      });
      expect(criterion).toMatchObject({ timeAggregation: "Maximum", operator: "GreaterThan", threshold: 0 });
    });

    it("alert when more than ALERT_FAILED_OUTCOMES events fail within an hour (default 0: any)", () => {
      const { properties, criterion } = rule("failed-outcomes");
      expect(properties).toMatchObject({ evaluationFrequency: "PT15M", windowSize: "PT1H" });
      expect(criterion).toMatchObject({
        timeAggregation: "Total",
        operator: "GreaterThan",
        threshold: "[parameters('failedOutcomesThreshold')]",
      });
      expect(moduleParameters("signals").failedOutcomesThreshold?.value).toBe(
        "[parameters('alertFailedOutcomes')]",
      );
      expect(main.parameters?.alertFailedOutcomes?.defaultValue).toBe(0);
    });

    it("alert on sustained throttling only: more than ALERT_THROTTLED_RESPONSES 429s in each of three 5-minute windows", () => {
      const { properties, criterion } = rule("graph-throttled");
      expect(properties).toMatchObject({ evaluationFrequency: "PT5M", windowSize: "PT5M" });
      expect(criterion).toMatchObject({
        timeAggregation: "Total",
        operator: "GreaterThan",
        threshold: "[parameters('throttledResponsesThreshold')]",
        failingPeriods: { numberOfEvaluationPeriods: 3, minFailingPeriodsToAlert: 3 },
      });
      expect(main.parameters?.alertThrottledResponses?.defaultValue).toBe(10);
    });

    it("alert as soon as the daily run finds a user written before they became privileged (severity 1)", () => {
      const { properties, criterion } = rule("privileged-written");
      expect(properties).toMatchObject({ evaluationFrequency: "PT1H", windowSize: "P1D", severity: 1 });
      expect(criterion).toMatchObject({ timeAggregation: "Maximum", operator: "GreaterThan", threshold: 0 });
    });

    it("alert as soon as any process reports the fleet's pause held it 15 minutes without a 429 of its own", () => {
      const { properties, criterion } = rule("fleet-paused");
      expect(properties).toMatchObject({
        evaluationFrequency: "PT5M",
        windowSize: "PT15M",
        autoMitigate: true,
      });
      expect(criterion).toMatchObject({ timeAggregation: "Total", operator: "GreaterThan", threshold: 0 });
    });

    it.each(["poison-queue", "failed-outcomes", "graph-throttled", "privileged-written", "fleet-paused"])(
      "scope the %s rule to Application Insights and send it to the action group only when there is one",
      (suffix) => {
        const { declared, properties } = rule(suffix);
        expect(properties.scopes).toEqual([
          "[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]",
        ]);
        expect(resolved(declared, properties.actions)).toEqual({
          actionGroups:
            "[if(empty(parameters('alertEmail')), createArray(), createArray(resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))))]",
        });
      },
    );

    it("e-mail ALERT_EMAIL through an action group created only when an address is given (no receiver-less group)", () => {
      const group = one("Microsoft.Insights/actionGroups");
      expect(group.resource.condition).toBe("[not(empty(parameters('alertEmail')))]");
      expect(props(group)).toMatchObject({
        enabled: true,
        emailReceivers: [{ emailAddress: "[parameters('alertEmail')]", useCommonAlertSchema: true }],
      });
      expect(String(props(group).groupShortName).length).toBeLessThanOrEqual(12);
      expect(main.parameters?.alertEmail?.defaultValue).toBe("");
      expect(moduleParameters("signals").alertEmail?.value).toBe("[parameters('alertEmail')]");
      const file = JSON.parse(readFileSync(join(infraDir, "main.parameters.json"), "utf8")) as {
        parameters: Record<string, { value: string }>;
      };
      // azd's own ${NAME=default} substitution syntax, not a template literal.
      const azdVariable = (name: string) => `\${${name}}`;
      expect(file.parameters.alertEmail?.value).toBe(azdVariable("ALERT_EMAIL"));
      expect(file.parameters.alertFailedOutcomes?.value).toBe(azdVariable("ALERT_FAILED_OUTCOMES=0"));
      expect(file.parameters.alertThrottledResponses?.value).toBe(
        azdVariable("ALERT_THROTTLED_RESPONSES=10"),
      );
    });

    describe("the workbook", () => {
      const workbook = () => {
        const declared = one("Microsoft.Insights/workbooks");
        const serialized = String(props(declared).serializedData);
        const variable = /variables\('([^']+)'\)/.exec(serialized)?.[1] ?? "";
        const content = declared.template.variables?.[variable] as {
          version: string;
          items: Array<{ type: number; name: string; content: { query?: string } }>;
        };
        return { declared, serialized, content };
      };
      const queries = () =>
        workbook()
          .content.items.filter((item) => item.type === 3)
          .map((item) => ({ item: item.name, query: item.content.query ?? "" }));

      it("is a shared workbook under Application Insights, from infra/app/signals/workbook.json", () => {
        const { declared, serialized, content } = workbook();
        expect(declared.resource).toMatchObject({ kind: "shared" });
        expect(props(declared)).toMatchObject({
          category: "workbook",
          sourceId: "[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]",
        });
        expect(serialized).toContain("fallbackResourceIds");
        expect(content).toEqual(JSON.parse(repoText("infra/app/signals/workbook.json")));
        expect(content.version).toBe("Notebook/1.0");
      });

      it("shows outcomes over time, top failure codes, budget use, queue depths and readiness coverage", () => {
        expect(queries().map(({ item }) => item)).toEqual([
          "outcomes-over-time",
          "top-failure-codes",
          "write-budget",
          "write-wait",
          "queue-depth",
          "readiness-coverage",
          "readiness-buckets",
          "readiness-fields",
        ]);
        const read = (item: string) => filtersOf(queries().find((q) => q.item === item)?.query ?? "");
        expect(read("outcomes-over-time").names).toEqual([nameOf("outcomes")]);
        expect(read("top-failure-codes").dimensionKeys.sort()).toEqual(["code", "status"]);
        expect(read("write-budget").names.sort()).toEqual(
          [nameOf("graphThrottled"), nameOf("writeTokens")].sort(),
        );
        expect(read("write-wait").names).toEqual([nameOf("writeWait")]);
        expect(read("queue-depth").names).toEqual([nameOf("queueDepth")]);
        expect(read("readiness-coverage").names.sort()).toEqual(
          [nameOf("readinessReady"), nameOf("readinessUsers")].sort(),
        );
        expect(read("readiness-buckets").names).toEqual([nameOf("readinessBuckets")]);
        expect(read("readiness-buckets").dimensionKeys.sort()).toEqual(["bucket", "reason"]);
        expect(read("readiness-fields").names).toEqual([nameOf("readinessFields")]);
      });

      it("queries only metric names the code emits, and only dimensions those metrics have", () => {
        for (const { item, query } of queries()) {
          const { names, requires, dimensionKeys } = filtersOf(query);
          expect(names.length, item).toBeGreaterThan(0);
          const keys = names.map(keyOf);
          expect(keys, `${item}: ${names.join(", ")}`).not.toContain(undefined);
          const declared = new Set(
            keys.flatMap((key) => (key ? Object.keys(metricCatalog[key].dimensions) : [])),
          );
          expect(
            dimensionKeys.filter((key) => !declared.has(key)),
            item,
          ).toEqual([]);
          for (const key of keys) {
            if (!key) continue;
            const own = Object.fromEntries(
              Object.entries(requires).filter(([dimension]) => dimension in metricCatalog[key].dimensions),
            );
            expect(safeDimensions(key, own), item).toMatchObject(own);
          }
        }
      });
    });
  });

  describe("azd", () => {
    it.each([
      "AZURE_LOCATION",
      "AZURE_TENANT_ID",
      "AZURE_FUNCTION_NAME",
      "SERVICE_API_NAME",
      "AZURE_IDENTITY_PRINCIPAL_ID",
      "AZURE_IDENTITY_CLIENT_ID",
      "AZURE_STORAGE_ACCOUNT_NAME",
      "KEY_VAULT_NAME",
      "CONTACT_TARGET",
    ])("gets the output %s", (name) => {
      expect(main.outputs).toHaveProperty(name);
    });

    it("receives a value or a default for every parameter of main.bicep", () => {
      const file = JSON.parse(readFileSync(join(infraDir, "main.parameters.json"), "utf8")) as {
        parameters: Record<string, unknown>;
      };
      const parameters = main.parameters ?? {};
      expect(Object.keys(file.parameters).filter((name) => !(name in parameters))).toEqual([]);
      const required = Object.entries(parameters).filter(([, parameter]) => !("defaultValue" in parameter));
      expect(required.map(([name]) => name).filter((name) => !(name in file.parameters))).toEqual([]);
    });

    it("runs the Graph grant script after provisioning, on POSIX and Windows", () => {
      const azureYaml = readFileSync(join(root, "azure.yaml"), "utf8");
      expect(azureYaml).toMatch(/host: function/);
      expect(azureYaml).toContain("infra/scripts/grant-graph-permissions.sh");
      expect(azureYaml).toContain("infra/scripts/grant-graph-permissions.ps1");
      expect(existsSync(join(infraDir, "scripts", "grant-graph-permissions.sh"))).toBe(true);
      expect(existsSync(join(infraDir, "scripts", "grant-graph-permissions.ps1"))).toBe(true);
    });

    it("uses no registry modules, which cannot be restored offline", () => {
      const bicepFiles = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory()
            ? bicepFiles(join(dir, entry.name))
            : entry.name.endsWith(".bicep")
              ? [join(dir, entry.name)]
              : [],
        );
      for (const file of bicepFiles(infraDir)) {
        expect(readFileSync(file, "utf8"), file).not.toMatch(/module\s+\w+\s+'(br|ts)[:/]/);
      }
    });
  });
});
