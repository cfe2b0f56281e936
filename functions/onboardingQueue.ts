import type { InvocationContext } from "@azure/functions";
import { appServices, pipelineDeps } from "../shared/app/appServices.js";
import { register } from "../shared/app/functionRegistry.js";
import { syncContactEvent } from "../shared/sync/syncContactEvent.js";

/** HR onboarding events from the queue → validated, normalized contact data in Entra ID, outcome recorded. */
export async function onboardingQueue(message: unknown, context: InvocationContext): Promise<void> {
  const services = appServices();
  await syncContactEvent(
    message,
    {
      dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1),
      maxDequeueCount: services.queueHost.maxDequeueCount,
    },
    pipelineDeps(services, (line) => context.log(line)),
  );
}

register.storageQueue("onboardingQueue", {
  queueName: "%ONBOARDING_QUEUE%",
  connection: "AzureWebJobsStorage",
  handler: onboardingQueue,
});
