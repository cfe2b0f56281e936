import {
  addEmailMethod,
  addPhoneMethod,
  deleteEmailMethod,
  deletePhoneMethod,
  getEmailMethod,
  getPhoneMethod,
  listEmailMethods,
  listMethods,
  listPhoneMethods,
  updateEmailMethod,
  updatePhoneMethod,
} from "./authMethodHandlers.js";
import { refuseDirSyncToApps } from "./directoryHandlers.js";
import { listDomains } from "./domainHandlers.js";
import { badRequest, graphError } from "./emulatorResponse.js";
import { type GraphRoute, route } from "./GraphRoute.js";
import { getGroup, listGroupRelation, listGroups } from "./groupHandlers.js";
import { listOrganization } from "./organizationHandlers.js";
import { listPimGroup, type PimGroupList } from "./pimGroupHandlers.js";
import { listRegistrationDetails, reportPermission } from "./reportHandlers.js";
import { getRoleDefinition, listRoleGrants, listTransitiveMemberOf, type RoleList } from "./roleHandlers.js";
import { getUser, listUsers, patchUser } from "./userHandlers.js";

/** A Graph v1.0 API page on Microsoft Learn. */
function learn(page: string): string {
  return `https://learn.microsoft.com/en-us/graph/api/${page}?view=graph-rest-1.0`;
}

/**
 * Where every `cost` below comes from: "Identity and access service limits" lists base costs (GET `users` 2,
 * `groups/{id}/members` 3, `groups/{id}/transitiveMembers` 5, `me/transitiveMemberOf` 2, which applies to
 * `users/{id}/` too); any identity path it does not list costs 1, and a write 1 plus 1 write.
 */
export const throttlingPage = "https://learn.microsoft.com/en-us/graph/throttling-limits";

const directoryRead = ["Directory.Read.All", "Directory.ReadWrite.All"];
const userReaders = ["User.Read.All", "User.ReadWrite.All", ...directoryRead];
const userBroadWrite = ["User.ReadWrite.All", "Directory.ReadWrite.All"];
const groupReaders = [
  "GroupMember.Read.All",
  "Group.Read.All",
  "Directory.Read.All",
  "GroupMember.ReadWrite.All",
  "Group.ReadWrite.All",
  "Directory.ReadWrite.All",
];
const roleReaders = ["RoleManagement.Read.Directory", "RoleManagement.Read.All", "Directory.Read.All"];
const methodReaders = ["UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"];
const methodWriters = ["UserAuthenticationMethod.ReadWrite.All"];
/** The phone and email method routes also take their own narrow permission (least privileged first). */
const narrowMethod = (kind: "Phone" | "Email", write: boolean) => ({
  anyOf: write
    ? [`UserAuthMethod-${kind}.ReadWrite.All`, ...methodWriters]
    : [`UserAuthMethod-${kind}.Read.All`, `UserAuthMethod-${kind}.ReadWrite.All`, ...methodReaders],
});

const userRoutes: GraphRoute[] = [
  route({
    name: "users",
    method: "GET",
    path: "users",
    permissions: { anyOf: userReaders },
    cost: 2,
    service: "directory",
    page: learn("user-list"),
    handler: (ctx) => listUsers(ctx),
  }),
  route({
    name: "user",
    method: "GET",
    path: "users/{key}",
    permissions: { anyOf: userReaders },
    cost: 1,
    service: "directory",
    page: learn("user-get"),
    handler: (ctx, p) => getUser(ctx, p.key),
  }),
  route({
    name: "user",
    method: "PATCH",
    path: "users/{key}",
    // The page's narrow permissions for the contact properties, or a broad one.
    permissions: {
      perProperty: {
        mobilePhone: ["User-Phone.ReadWrite.All", ...userBroadWrite],
        businessPhones: ["User-Phone.ReadWrite.All", ...userBroadWrite],
        otherMails: ["User-Mail.ReadWrite.All", ...userBroadWrite],
      },
    },
    cost: 1,
    service: "directory",
    page: learn("user-update"),
    assumed:
      "properties the app never writes need no permission here (the emulator's own tests set them freely); the " +
      "permission is checked before the user is looked up or the body validated, as Graph authorizes first",
    handler: (ctx, p) => patchUser(ctx, p.key),
  }),
  ...(["GET", "PATCH"] as const).map((method) =>
    route({
      name: "me",
      method,
      path: "me/{rest*}",
      permissions: { none: "/me needs a signed-in user: an app-only caller is refused whatever it holds" },
      cost: 1,
      service: "directory",
      page: learn("user-get"),
      assumed: "the 400 text is the one Graph gives an app-only token on /me",
      handler: () => badRequest("/me request is only valid with delegated authentication flow."),
    }),
  ),
  route({
    name: "transitiveMemberOf",
    method: "GET",
    path: "users/{key}/transitiveMemberOf",
    permissions: { anyOf: ["User.Read.All", ...directoryRead, "Group.Read.All", "GroupMember.Read.All"] },
    cost: 2,
    service: "directory",
    page: learn("user-list-transitivememberof"),
    handler: (ctx, p) => listTransitiveMemberOf(ctx, p.key),
  }),
];

/**
 * The authentication-method paths: service `methods`. The throttling page lists `authenticationMethod` under the
 * identity and access reports (5 requests per 10 s) and not under the identity resources; which holds is not
 * documented, so they count as identity paths unless the emulator is given a methods bucket (`methodRequests`).
 */
const methodRoutes: GraphRoute[] = [
  route({
    name: "authMethods",
    method: "GET",
    path: "users/{key}/authentication/methods",
    permissions: { anyOf: methodReaders },
    cost: 1,
    service: "methods",
    page: learn("authentication-list-methods"),
    handler: (ctx, p) => listMethods(ctx, p.key),
  }),
  route({
    name: "phoneMethods",
    method: "GET",
    path: "users/{key}/authentication/phoneMethods",
    permissions: narrowMethod("Phone", false),
    cost: 1,
    service: "methods",
    page: learn("authentication-list-phonemethods"),
    handler: (ctx, p) => listPhoneMethods(ctx, p.key),
  }),
  route({
    name: "phoneMethods",
    method: "POST",
    path: "users/{key}/authentication/phoneMethods",
    permissions: narrowMethod("Phone", true),
    cost: 1,
    service: "methods",
    page: learn("authentication-post-phonemethods"),
    handler: (ctx, p) => addPhoneMethod(ctx, p.key),
  }),
  route({
    name: "phoneMethod",
    method: "GET",
    path: "users/{key}/authentication/phoneMethods/{methodId}",
    permissions: narrowMethod("Phone", false),
    cost: 1,
    service: "methods",
    page: learn("phoneauthenticationmethod-get"),
    handler: (ctx, p) => getPhoneMethod(ctx, p.key, p.methodId),
  }),
  route({
    name: "phoneMethod",
    method: "PATCH",
    path: "users/{key}/authentication/phoneMethods/{methodId}",
    permissions: narrowMethod("Phone", true),
    cost: 1,
    service: "methods",
    page: learn("phoneauthenticationmethod-update"),
    handler: (ctx, p) => updatePhoneMethod(ctx, p.key, p.methodId),
  }),
  route({
    name: "phoneMethod",
    method: "DELETE",
    path: "users/{key}/authentication/phoneMethods/{methodId}",
    permissions: narrowMethod("Phone", true),
    cost: 1,
    service: "methods",
    page: learn("phoneauthenticationmethod-delete"),
    handler: (ctx, p) => deletePhoneMethod(ctx, p.key, p.methodId),
  }),
  route({
    name: "emailMethods",
    method: "GET",
    path: "users/{key}/authentication/emailMethods",
    permissions: narrowMethod("Email", false),
    cost: 1,
    service: "methods",
    page: learn("authentication-list-emailmethods"),
    handler: (ctx, p) => listEmailMethods(ctx, p.key),
  }),
  route({
    name: "emailMethods",
    method: "POST",
    path: "users/{key}/authentication/emailMethods",
    permissions: narrowMethod("Email", true),
    cost: 1,
    service: "methods",
    page: learn("authentication-post-emailmethods"),
    handler: (ctx, p) => addEmailMethod(ctx, p.key),
  }),
  route({
    name: "emailMethod",
    method: "GET",
    path: "users/{key}/authentication/emailMethods/{methodId}",
    permissions: narrowMethod("Email", false),
    cost: 1,
    service: "methods",
    page: learn("emailauthenticationmethod-get"),
    handler: (ctx, p) => getEmailMethod(ctx, p.key, p.methodId),
  }),
  route({
    name: "emailMethod",
    method: "PATCH",
    path: "users/{key}/authentication/emailMethods/{methodId}",
    permissions: narrowMethod("Email", true),
    cost: 1,
    service: "methods",
    page: learn("emailauthenticationmethod-update"),
    handler: (ctx, p) => updateEmailMethod(ctx, p.key, p.methodId),
  }),
  route({
    name: "emailMethod",
    method: "DELETE",
    path: "users/{key}/authentication/emailMethods/{methodId}",
    permissions: narrowMethod("Email", true),
    cost: 1,
    service: "methods",
    page: learn("emailauthenticationmethod-delete"),
    handler: (ctx, p) => deleteEmailMethod(ctx, p.key, p.methodId),
  }),
];

/** The role-management lists: the PIM ones need P2 and their own schedule permission or a role reader. */
const roleLists: ReadonlyArray<{ list: RoleList; page: string; pim?: "Eligibility" | "Assignment" }> = [
  { list: "roleAssignments", page: "rbacapplication-list-roleassignments" },
  {
    list: "roleEligibilityScheduleInstances",
    page: "rbacapplication-list-roleeligibilityscheduleinstances",
    pim: "Eligibility",
  },
  {
    list: "roleEligibilitySchedules",
    page: "rbacapplication-list-roleeligibilityschedules",
    pim: "Eligibility",
  },
  {
    list: "roleAssignmentSchedules",
    page: "rbacapplication-list-roleassignmentschedules",
    pim: "Assignment",
  },
  {
    list: "roleAssignmentScheduleInstances",
    page: "rbacapplication-list-roleassignmentscheduleinstances",
    pim: "Assignment",
  },
];

const roleRoutes: GraphRoute[] = [
  ...roleLists.map(({ list, page, pim }) =>
    route({
      name: list,
      method: "GET",
      path: `roleManagement/directory/${list}`,
      permissions: { anyOf: pim ? [`Role${pim}Schedule.Read.Directory`, ...roleReaders] : roleReaders },
      cost: 1,
      service: "directory",
      ...(pim ? { edition: "P2" as const } : {}),
      page: learn(page),
      handler: (ctx) => listRoleGrants(ctx, list),
    }),
  ),
  route({
    name: "roleDefinition",
    method: "GET",
    path: "roleManagement/directory/roleDefinitions/{id}",
    permissions: {
      anyOf: [
        "RoleManagement.Read.Directory",
        "Directory.Read.All",
        "RoleManagement.ReadWrite.Directory",
        "Directory.ReadWrite.All",
      ],
    },
    cost: 1,
    service: "directory",
    page: learn("unifiedroledefinition-get"),
    handler: (ctx, p) => getRoleDefinition(ctx, p.id),
  }),
];

/** PIM for Groups: each list needs P2 and its schedule permission (read, or read-write). */
const pimGroupLists: ReadonlyArray<{ list: PimGroupList; kind: "Eligibility" | "Assignment" }> = [
  { list: "eligibilityScheduleInstances", kind: "Eligibility" },
  { list: "assignmentScheduleInstances", kind: "Assignment" },
  { list: "eligibilitySchedules", kind: "Eligibility" },
  { list: "assignmentSchedules", kind: "Assignment" },
];

const groupRoutes: GraphRoute[] = [
  route({
    name: "groups",
    method: "GET",
    path: "groups",
    permissions: { anyOf: groupReaders },
    cost: 1,
    service: "directory",
    page: learn("group-list"),
    handler: (ctx) => listGroups(ctx),
  }),
  route({
    name: "group",
    method: "GET",
    path: "groups/{groupId}",
    permissions: { anyOf: groupReaders },
    cost: 1,
    service: "directory",
    page: learn("group-get"),
    handler: (ctx, p) => getGroup(ctx, p.groupId),
  }),
  ...(
    [
      ["members", 3, "group-list-members"],
      ["transitiveMembers", 5, "group-list-transitivemembers"],
      ["owners", 1, "group-list-owners"],
    ] as const
  ).map(([relation, cost, page]) =>
    route({
      name: relation,
      method: "GET",
      path: `groups/{groupId}/${relation}`,
      permissions: { anyOf: groupReaders },
      cost,
      service: "directory",
      page: learn(page),
      handler: (ctx, p: { groupId: string }) => listGroupRelation(ctx, p.groupId, relation),
    }),
  ),
  ...pimGroupLists.map(({ list, kind }) =>
    route({
      name: list,
      method: "GET",
      path: `identityGovernance/privilegedAccess/group/${list}`,
      permissions: {
        anyOf: [
          `Privileged${kind}Schedule.Read.AzureADGroup`,
          `Privileged${kind}Schedule.ReadWrite.AzureADGroup`,
        ],
      },
      cost: 1,
      service: "directory",
      edition: "P2",
      page: learn(`privilegedaccessgroup-list-${list.toLowerCase()}`),
      handler: (ctx) => listPimGroup(ctx, list),
    }),
  ),
  route({
    name: "pimGroupOther",
    method: "any",
    path: "identityGovernance/privilegedAccess/group/{rest*}",
    permissions: { none: "what PIM for Groups would need for a resource the emulator does not serve" },
    cost: 1,
    service: "directory",
    edition: "P2",
    page: learn("resources/privilegedidentitymanagement-for-groups-api-overview"),
    assumed:
      "every PIM for Groups path is refused without P2 before Graph looks further, so the licence error wins",
    handler: (_ctx, p) =>
      badRequest(`Resource not found for the segment '${p.rest.split("/")[0] || "group"}'.`),
  }),
];

const dirSyncReaders = [
  "OnPremDirectorySynchronization.Read.All",
  "OnPremDirectorySynchronization.ReadWrite.All",
];
/**
 * The page's permission table: "Application: Not supported" (delegated: OnPremDirectorySynchronization.Read.All,
 * Global Administrator only). The permission list is its delegated column; an app is refused even holding it.
 */
const dirSyncAssumed =
  "Application: Not supported, so every app token (all the emulator issues) gets 403, granted or not; the page " +
  "shows no error body, so Graph's usual 403 Authorization_RequestDenied is assumed";

const tenantRoutes: GraphRoute[] = [
  route({
    name: "domains",
    method: "GET",
    path: "domains",
    permissions: { anyOf: ["Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All"] },
    cost: 1,
    service: "directory",
    page: learn("domain-list"),
    handler: (ctx) => listDomains(ctx),
  }),
  route({
    name: "organization",
    method: "GET",
    path: "organization",
    permissions: {
      anyOf: [
        "Organization.Read.All",
        "Directory.Read.All",
        "Organization.ReadWrite.All",
        "Directory.ReadWrite.All",
      ],
    },
    cost: 1,
    service: "directory",
    page: learn("organization-list"),
    handler: (ctx) => listOrganization(ctx),
  }),
  route({
    name: "dirSyncSettings",
    method: "GET",
    path: "directory/onPremisesSynchronization",
    permissions: { anyOf: dirSyncReaders },
    cost: 1,
    service: "directory",
    page: learn("onpremisesdirectorysynchronization-list"),
    assumed: dirSyncAssumed,
    handler: (ctx) => refuseDirSyncToApps(ctx),
  }),
  route({
    name: "dirSyncSetting",
    method: "GET",
    path: "directory/onPremisesSynchronization/{id}",
    permissions: { anyOf: dirSyncReaders },
    cost: 1,
    service: "directory",
    page: learn("onpremisesdirectorysynchronization-get"),
    assumed: dirSyncAssumed,
    handler: (ctx) => refuseDirSyncToApps(ctx),
  }),
  route({
    name: "registrationDetails",
    method: "GET",
    path: "reports/authenticationMethods/userRegistrationDetails",
    permissions: { anyOf: [reportPermission] },
    denied: () =>
      graphError(
        403,
        "Authentication_MSGraphPermissionMissing",
        `Calling principal does not have required MSGraph permissions ${reportPermission}`,
      ),
    // The identity and access reports have a request budget of their own (the throttling page lists it apart).
    cost: 1,
    service: "reports",
    edition: "P1",
    page: learn("authenticationmethodsroot-list-userregistrationdetails"),
    assumed:
      "both refusals' codes and texts are the ones public reports of these errors show; the page names neither. " +
      "The page documents $filter only: $top (1–1000) is taken unless the tenant refuses it " +
      "(registrationReportTakesTop), any other option is refused with 400, and the page size is 1000",
    handler: (ctx) => listRegistrationDetails(ctx),
  }),
];

/**
 * The emulated Graph v1.0 surface, each route once: method, path, permissions, cost, edition, handler and the
 * Microsoft page it follows. The core checks permission, edition and budget from here before a handler runs, for a
 * plain request and for each `$batch` item alike.
 */
export const graphRoutes: readonly GraphRoute[] = [
  ...userRoutes,
  ...methodRoutes,
  ...roleRoutes,
  ...groupRoutes,
  ...tenantRoutes,
];
