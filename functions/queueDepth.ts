import type { InvocationContext, Timer } from "@azure/functions";
import { appServices } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { recordQueueDepths } from "../shared/metrics/recordQueueDepths.js";

/** Measures the onboarding queue and its poison queue every 5 minutes, for the "poison queue not empty" alert. */
export async function queueDepth(_timer: Timer, context: InvocationContext): Promise<void> {
  const { settings, metrics, queueDepths } = appServices();
  const depths = await recordQueueDepths(queueDepths, metrics);
  await metrics.flush();
  if (depths.poison > 0) {
    context.warn(
      `${depths.poison} message(s) wait on ${settings.ONBOARDING_QUEUE}-poison: fix the cause, then replay them with sspr-prepop replay-poison (docs/reliability.md)`,
    );
  }
}

register.timer("queueDepth", {
  // Every 5 minutes: the alert looks at the last 15, and Storage's own metric is hourly and per account.
  schedule: "0 */5 * * * *",
  handler: queueDepth,
});
