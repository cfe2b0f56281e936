import type { CountryCode } from "libphonenumber-js";
import type { ContactRuleOptions } from "../contact/contactEvent.js";
import type { ContactField, TargetPolicy } from "../contact/contactFields.js";
import type { AuthMethods, Directory } from "../directory/directory.js";
import { directoryFailureOf } from "../directory/directoryFailure.js";
import { userRefFromKey } from "../directory/userRef.js";
import { withTenantDomains } from "../directory/withTenantDomains.js";
import { type ContactInfoView, contactInfoView, type Viewer } from "./contactInfoView.js";
import { userReadiness } from "./readiness.js";

/** What the helpdesk asked to read: the user, the region for national numbers, and whose eyes the view is for. */
export interface ContactInfoRequest {
  /** Object id, UPN or employeeId. */
  userKey: string;
  country: CountryCode | undefined;
  viewer: Viewer;
  adminRole: string;
  /** Where the deployment writes each field (CONTACT_TARGET): the advice offers only writes it allows. */
  deploymentTarget: Record<ContactField, TargetPolicy>;
}

/**
 * A user's contact fields, authentication methods and SSPR readiness per field, as the helpdesk sees them
 * (masked for a reader); undefined when no user has that key. Directory failures are thrown, except a refused
 * read of the methods: a profile-only deployment holds no UserAuthenticationMethod permission, so the view says
 * so instead of failing.
 */
export async function readContactInfo(
  directory: Pick<Directory, "findUser" | "listAuthMethods" | "verifiedDomains">,
  rules: ContactRuleOptions,
  request: ContactInfoRequest,
): Promise<{ userId: string; view: ContactInfoView } | undefined> {
  const user = await directory.findUser(userRefFromKey(request.userKey));
  if (!user) return undefined;
  let methods: AuthMethods | undefined;
  let methodsNote: string | undefined;
  try {
    methods = await directory.listAuthMethods(user.id);
  } catch (err) {
    const failure = directoryFailureOf(err);
    const refused = failure.category === "missingPermission" || failure.code === "forbidden_privileged_user";
    if (!(refused || failure.category === "credentials")) throw err;
    methodsNote = "not permitted: the app has no UserAuthenticationMethod permission";
  }
  const readiness = userReadiness(user, methods, {
    phoneValidation: rules.phoneValidation,
    // The tenant's verified domains count as the organization's, as on the write paths.
    organizationDomains: (await withTenantDomains(rules, directory)).organizationDomains,
    ...(request.country ? { country: request.country } : {}),
    deploymentTarget: request.deploymentTarget,
  });
  const view = contactInfoView(user, methods, readiness, {
    viewer: request.viewer,
    adminRole: request.adminRole,
    ...(methodsNote ? { methodsNote } : {}),
  });
  return { userId: user.id, view };
}
