import type { InvocationContext, Timer } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";

/** Deletes outcome records older than OUTCOME_RETENTION_DAYS, so personal-data-adjacent records don't pile up. */
export async function outcomeRetention(_timer: Timer, context: InvocationContext): Promise<void> {
  const { outcomes, settings } = appServices();
  const cutoff = new Date(Date.now() - settings.OUTCOME_RETENTION_DAYS * 86_400_000);
  const deleted = await outcomes.deleteOlderThan(cutoff);
  context.log(`deleted ${deleted} outcome records last changed before ${cutoff.toISOString()}`);
}

register.timer("outcomeRetention", {
  // Daily at 03:30 UTC (NCRONTAB: seconds first), off-peak for HR feeds.
  schedule: "0 30 3 * * *",
  handler: outcomeRetention,
});
