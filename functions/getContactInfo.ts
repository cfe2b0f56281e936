import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import type { AuthMethods } from "../shared/directory/directory.js";
import { directoryFailureOf } from "../shared/directory/directoryFailure.js";
import { userRefFromKey } from "../shared/directory/userRef.js";
import { withTenantDomains } from "../shared/directory/withTenantDomains.js";
import { readers } from "../shared/http/callerAccess.js";
import { dependencyProblem } from "../shared/http/dependencyProblem.js";
import { problem } from "../shared/http/problem.js";
import { withCaller } from "../shared/http/withCaller.js";
import { contactInfoView } from "../shared/readiness/contactInfoView.js";
import { userReadiness } from "../shared/readiness/readiness.js";

/**
 * Helpdesk read: a user's contact fields, authentication methods, sync status and SSPR readiness per field.
 * Readers get every contact value masked; only admins see them whole.
 */
export const getContactInfo = withCaller(
  () => readers(appServices().settings),
  async (request, context, caller) => {
    const { settings, helpdeskDirectory: directory, rules } = appServices();
    const countryParam = request.query.get("country");
    const country = countryParam ? toCountryCode(countryParam) : rules.defaultCountry;
    if (countryParam && !country)
      return problem(400, "country_unknown", "country must be an ISO 3166-1 alpha-2 code or a country name.");
    try {
      const user = await directory.findUser(userRefFromKey(request.params.user ?? ""));
      if (!user) return problem(404, "user_not_found", "No user has that object id, UPN or employeeId.");
      let methods: AuthMethods | undefined;
      let methodsNote: string | undefined;
      try {
        methods = await directory.listAuthMethods(user.id);
      } catch (err) {
        // Reading methods needs UserAuthenticationMethod.Read.All, which a profile-only deployment doesn't hold.
        const failure = directoryFailureOf(err);
        const refused =
          failure.category === "missingPermission" || failure.code === "forbidden_privileged_user";
        if (!(refused || failure.category === "credentials")) throw err;
        methodsNote = "not permitted: the app has no UserAuthenticationMethod permission";
      }
      const readiness = userReadiness(user, methods, {
        phoneValidation: rules.phoneValidation,
        // The tenant's verified domains count as the organization's, as on the write paths.
        organizationDomains: (await withTenantDomains(rules, directory)).organizationDomains,
        ...(country ? { country } : {}),
      });
      const viewer = caller.isAdmin ? "admin" : "reader";
      context.log(`contact-info read for user ${user.id} by ${caller.name} (${viewer})`);
      return {
        status: 200,
        jsonBody: contactInfoView(user, methods, readiness, {
          viewer,
          adminRole: settings.CONTACT_ADMIN_ROLE,
          ...(methodsNote ? { methodsNote } : {}),
        }),
      };
    } catch (err) {
      context.warn(`contact-info read failed: ${err instanceof Error ? err.message : String(err)}`);
      return dependencyProblem(err);
    }
  },
);

register.http("getContactInfo", {
  route: "users/{user}/contact-info",
  methods: ["GET"],
  authLevel: "function",
  handler: getContactInfo,
});
