import { InvocationContext } from "@azure/functions";
import { onboardingQueue } from "../../functions/onboardingQueue.js";
import { appServices } from "../../shared/app/appServices.js";
import type { Outcome } from "../../shared/sync/outcome.js";

/**
 * Runs the real queue function on `message` as the host delivers it (a real InvocationContext, the delivery's
 * `dequeueCount`) and returns the outcome recorded under its eventId. Log lines go to `logs` when given.
 */
export async function deliverToQueue(
  message: unknown,
  options: { dequeueCount?: number; logs?: string[] } = {},
): Promise<Outcome | undefined> {
  const { dequeueCount = 1, logs } = options;
  await onboardingQueue(
    message,
    new InvocationContext({
      functionName: "onboardingQueue",
      triggerMetadata: { dequeueCount },
      logHandler: (_level, ...args) => logs?.push(args.join(" ")),
    }),
  );
  return appServices().outcomes.get(String((message as { eventId?: unknown }).eventId));
}
