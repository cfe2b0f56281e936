import { directoryFailureOf } from "../directory/directoryFailure.js";
import type { BackfillOptions, BackfillSummary } from "./backfill.js";

/**
 * Reads Graph's registration report once, when some field targets methods and the adapter can read it, so users
 * who registered no method at all are planned without listing their methods (Microsoft's advice for
 * whole-population scans). A report that can't be read (no AuditLog.Read.All, no P1/P2 licence, Graph failing)
 * only means every user's methods are listed, as without it.
 */
export async function registeredMethodsOf(
  options: Pick<BackfillOptions, "policy" | "directory" | "knownMethods">,
  summary: Pick<BackfillSummary, "registrationReport">,
): Promise<Map<string, readonly string[]> | undefined> {
  const targetsMethods = Object.values(options.policy.target).some((target) => target !== "profile");
  const list = options.directory.listRegistrationDetails;
  if (!targetsMethods || !list || options.knownMethods) return undefined;
  const known = new Map<string, readonly string[]>();
  try {
    for await (const page of list.call(options.directory)) {
      for (const detail of page) known.set(detail.userId.toLowerCase(), detail.methodsRegistered);
    }
  } catch (err) {
    summary.registrationReport = { state: "unavailable", why: directoryFailureOf(err).reason };
    return undefined;
  }
  summary.registrationReport = { state: "used" };
  return known;
}
