import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { runDoctor } from "../shared/app/runDoctor.js";
import { admins } from "../shared/http/callerAccess.js";
import { problem } from "../shared/http/problem.js";
import { withCaller } from "../shared/http/withCaller.js";

/**
 * `sspr-prepop doctor`'s checks, run inside the app with its own identity and settings, for an admin: 200 when
 * nothing failed (warnings included), 503 when a check failed, the report as the body either way.
 */
export const doctor = withCaller(
  () => admins(appServices().settings),
  async (_request, context, caller) => {
    try {
      const report = await runDoctor(appServices().settings);
      context.log(`doctor route: ${report.status} (${report.summary.fail} failed) for ${caller.name}`);
      return {
        status: report.status === "fail" ? 503 : 200,
        jsonBody: report,
        headers: { "Cache-Control": "no-store" },
      };
    } catch (err) {
      // runDoctor turns every failure into a finding; reaching here is a bug, still answered, never a bare 500.
      context.warn(`doctor route failed: ${err instanceof Error ? err.message : String(err)}`);
      return problem(503, "health_check_failed", "The checks could not be run; see the app's log.");
    }
  },
);

register.http("doctor", {
  route: "doctor",
  methods: ["GET"],
  // No function key, unlike the other helpdesk routes: `doctor --app-url` asks this route anonymously and needs
  // the app's own answer when Easy Auth is off (401 authentication_required), which a key check in front would hide
  // behind the same bare 401 Easy Auth gives. Access is decided as for every helpdesk route: Easy Auth, admin role.
  authLevel: "anonymous",
  handler: doctor,
});
