import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { toCountryCode } from "../shared/contact/countryCode.js";
import { readers } from "../shared/http/callerAccess.js";
import { dependencyProblem } from "../shared/http/dependencyProblem.js";
import { problem } from "../shared/http/problem.js";
import { withCaller } from "../shared/http/withCaller.js";
import { withReadLimit } from "../shared/http/withReadLimit.js";
import { readContactInfo } from "../shared/readiness/readContactInfo.js";

/**
 * Helpdesk read: a user's contact fields, authentication methods, sync status and SSPR readiness per field.
 * Readers get every contact value masked; only admins see them whole. Each read counts against the caller's
 * HELPDESK_READS_PER_MINUTE.
 */
export const getContactInfo = withCaller(
  () => readers(appServices().settings),
  withReadLimit(
    () => appServices().readLimiter,
    async (request, context, caller) => {
      const { settings, helpdeskDirectory: directory, rules, policy } = appServices();
      const countryParam = request.query.get("country");
      const country = countryParam ? toCountryCode(countryParam) : rules.defaultCountry;
      if (countryParam && !country)
        return problem(
          400,
          "country_unknown",
          "country must be an ISO 3166-1 alpha-2 code or a country name.",
        );
      try {
        const viewer = caller.isAdmin ? "admin" : "reader";
        const found = await readContactInfo(directory, rules, {
          userKey: request.params.user ?? "",
          country,
          viewer,
          adminRole: settings.CONTACT_ADMIN_ROLE,
          deploymentTarget: policy.target,
        });
        if (!found) return problem(404, "user_not_found", "No user has that object id, UPN or employeeId.");
        context.log(`contact-info read for user ${found.userId} by ${caller.name} (${viewer})`);
        return { status: 200, jsonBody: found.view };
      } catch (err) {
        context.warn(`contact-info read failed: ${err instanceof Error ? err.message : String(err)}`);
        return dependencyProblem(err);
      }
    },
  ),
);

register.http("getContactInfo", {
  route: "users/{user}/contact-info",
  methods: ["GET"],
  authLevel: "function",
  handler: getContactInfo,
});
