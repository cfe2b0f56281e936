import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { userRefFromKey } from "../shared/directory/userRef.js";
import { readers } from "../shared/http/callerAccess.js";
import { dependencyProblem } from "../shared/http/dependencyProblem.js";
import { problem } from "../shared/http/problem.js";
import { withCaller } from "../shared/http/withCaller.js";
import { withReadLimit } from "../shared/http/withReadLimit.js";
import { maxListTop, type UserKey } from "../shared/sync/outcomeLog.js";

const defaultTop = 20;
// The outcome log refuses any other top; the API answers 400 before asking it.
const maxTop = maxListTop;

/**
 * A user's outcomes, latest first: `?user=` object id, UPN or employeeId, `&top=` 1–100. Each read counts against
 * the caller's HELPDESK_READS_PER_MINUTE.
 */
export const listOutcomes = withCaller(
  () => readers(appServices().settings),
  withReadLimit(() => appServices().readLimiter, list),
);

async function list(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const { outcomes } = appServices();
  const user = request.query.get("user")?.trim();
  if (!user) return problem(400, "user_required", "Name the user: ?user=<object id, UPN or employeeId>.");
  const topText = request.query.get("top");
  const top = topText === null ? defaultTop : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > maxTop) {
    return problem(400, "top_invalid", `top must be a whole number from 1 to ${maxTop}.`);
  }
  const ref = userRefFromKey(user);
  const key: UserKey = ref.id
    ? { kind: "id", value: ref.id }
    : ref.userPrincipalName
      ? { kind: "upn", value: ref.userPrincipalName }
      : { kind: "employeeId", value: ref.employeeId ?? user };
  try {
    return { status: 200, jsonBody: { value: await outcomes.listByUser(key, top) } };
  } catch (err) {
    context.warn(`outcome list failed: ${err instanceof Error ? err.message : String(err)}`);
    return dependencyProblem(err);
  }
}

register.http("listOutcomes", {
  route: "outcomes",
  methods: ["GET"],
  authLevel: "function",
  handler: listOutcomes,
});
