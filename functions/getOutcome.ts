import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { readers } from "../shared/http/callerAccess.js";
import { dependencyProblem } from "../shared/http/dependencyProblem.js";
import { problem } from "../shared/http/problem.js";
import { withCaller } from "../shared/http/withCaller.js";
import { withReadLimit } from "../shared/http/withReadLimit.js";
import { maxListTop } from "../shared/sync/outcomeLog.js";

/**
 * The recorded outcome of one event, by its eventId (outcomes hold masked values only): the latest record, or with
 * `?attempts` every record of it, latest first (a backfill rerun's, a deferral before the final one). Each read
 * counts against the caller's HELPDESK_READS_PER_MINUTE.
 */
export const getOutcome = withCaller(
  () => readers(appServices().settings),
  withReadLimit(
    () => appServices().readLimiter,
    async (request, context) => {
      const eventId = request.params.eventId ?? "";
      try {
        if (request.query.has("attempts")) {
          const attempts = await appServices().outcomes.attemptsOf(eventId, maxListTop);
          if (attempts.length === 0)
            return problem(404, "outcome_not_found", "No outcome is recorded for that eventId (yet).");
          return { status: 200, jsonBody: { value: attempts } };
        }
        const outcome = await appServices().outcomes.get(eventId);
        if (!outcome)
          return problem(404, "outcome_not_found", "No outcome is recorded for that eventId (yet).");
        return { status: 200, jsonBody: outcome };
      } catch (err) {
        context.warn(`outcome read failed: ${err instanceof Error ? err.message : String(err)}`);
        return dependencyProblem(err);
      }
    },
  ),
);

register.http("getOutcome", {
  route: "outcomes/{eventId}",
  methods: ["GET"],
  authLevel: "function",
  handler: getOutcome,
});
