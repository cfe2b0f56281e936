import { describe, expect, it } from "vitest";
import { requestCost, totalCost } from "../../shared/graph/graphCost.js";

// Microsoft Graph throttling limits, "Identity and access service limits": base costs per path (unlisted: 1
// resource unit, plus 1 write for POST/PATCH/PUT/DELETE), $select −1, $expand +1, $top < 20 −1, never below 1;
// a cost listed for `me/` applies to `users/{id | userPrincipalName}/` too.
describe("the documented cost of a Graph request", () => {
  it.each([
    ["GET", "/users/17c69a1c-5da1-4a71-96a2-077e0c286c26?$select=id,mobilePhone", 1, 0],
    ["GET", "/users/17c69a1c-5da1-4a71-96a2-077e0c286c26", 1, 0],
    ["GET", "/users", 2, 0],
    ["GET", "/users?$select=id,userPrincipalName&$top=999", 1, 0],
    ["GET", "/users?$filter=employeeId%20eq%20'E1'&$select=id&$top=2", 1, 0],
    ["GET", "/users?$top=5", 1, 0],
    ["GET", "/users/a%2Fb@contoso.example/authentication/methods", 1, 0],
    ["PATCH", "/users/17c69a1c-5da1-4a71-96a2-077e0c286c26", 1, 1],
    ["POST", "/users/17c69a1c-5da1-4a71-96a2-077e0c286c26/authentication/phoneMethods", 1, 1],
    ["DELETE", "/users/x/authentication/emailMethods/3ddfcfc8-9383-446f-83cc-3ab9be4be18f", 1, 1],
    ["GET", "/users/mei.chen@contoso.example/memberOf", 2, 0],
    ["GET", "/users('$admin@contoso.example')/memberOf", 2, 0],
    ["GET", "/me/memberOf?$expand=members", 3, 0],
    ["GET", "/groups/0f1e2d3c/transitiveMembers", 5, 0],
    // Listed at 5 since 2024 (3 before); "Using $select … results in 2 ResourceUnits".
    ["POST", "/directoryObjects/getByIds", 5, 0],
    ["POST", "/directoryObjects/getByIds?$select=id,displayName", 2, 0],
    ["POST", "/getObjectsById", 5, 0],
    ["POST", "/getObjectsById?$select=id", 2, 0],
    ["GET", "/subscribedSkus?$select=skuId", 2, 0],
    // The tenant-wide privilege picture: members 3 and transitiveMembers 5 are listed, the rest are not (1).
    ["GET", "/groups/0f1e2d3c/members?$select=id&$top=999", 2, 0],
    ["GET", "/groups/0f1e2d3c/transitiveMembers?$select=id&$top=999", 4, 0],
    ["GET", "/groups/0f1e2d3c/owners?$select=id&$top=999", 1, 0],
    ["GET", "/groups/0f1e2d3c/owners", 1, 0],
    ["GET", "/groups?$filter=isAssignableToRole%20eq%20true&$select=id,displayName&$top=999", 1, 0],
    [
      "GET",
      "/roleManagement/directory/roleAssignments?$select=principalId,roleDefinitionId,directoryScopeId",
      1,
      0,
    ],
    ["GET", "/roleManagement/directory/roleEligibilityScheduleInstances", 1, 0],
    ["GET", "/roleManagement/directory/roleAssignmentSchedules?$expand=roleDefinition", 2, 0],
    [
      "GET",
      "/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances?$filter=groupId%20eq%20'g'",
      1,
      0,
    ],
    [
      "GET",
      "/identityGovernance/privilegedAccess/group/assignmentSchedules?$filter=principalId%20eq%20'p'",
      1,
      0,
    ],
  ] as const)("%s %s costs %i resource unit(s) and %i write(s)", (method, url, resourceUnits, writes) => {
    expect(requestCost(method, url)).toEqual({ resourceUnits, writes });
  });

  it("reads the path after the version root of an absolute URL", () => {
    expect(requestCost("GET", "https://graph.microsoft.com/v1.0/users", "/v1.0")).toEqual({
      resourceUnits: 2,
      writes: 0,
    });
    expect(requestCost("GET", "http://127.0.0.1:4000/graph/v1.0/USERS?$top=999", "/graph/v1.0")).toEqual({
      resourceUnits: 2,
      writes: 0,
    });
  });

  it("adds up the items of a $batch, which Graph evaluates one by one", () => {
    expect(
      totalCost([
        requestCost("GET", "/users/a?$select=id"),
        requestCost("PATCH", "/users/a"),
        requestCost("PATCH", "/users/b"),
      ]),
    ).toEqual({ resourceUnits: 3, writes: 2 });
  });
});
