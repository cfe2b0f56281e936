import type { TimerFunctionOptions } from "@azure/functions";
import { Cron } from "croner";
import type { Settings } from "../shared/app/config.js";
import { invocationContext } from "./invocationContext.js";
import { resolveBindingExpression } from "./resolveBindingExpression.js";

/** Runs a timer-triggered function on its NCRONTAB schedule, as the Functions host does (UTC, no overlap). */
export function startTimer(
  name: string,
  options: TimerFunctionOptions,
  settings: Settings,
  log: (line: string) => void,
): { stop(): void } {
  // NCRONTAB has six fields, seconds first, which croner reads as is; Azure runs schedules in UTC. A schedule
  // may name an app setting (`%READINESS_SCHEDULE%`), resolved as the Functions host does.
  const job = new Cron(
    resolveBindingExpression(options.schedule, settings),
    { timezone: "UTC", protect: true },
    async () => {
      const next = job.nextRun();
      try {
        await options.handler(
          {
            isPastDue: false,
            schedule: { adjustForDST: false },
            scheduleStatus: {
              last: new Date().toISOString(),
              next: next?.toISOString() ?? "",
              lastUpdated: new Date().toISOString(),
            },
          },
          invocationContext(name, "timerTrigger", {}, log),
        );
      } catch (err) {
        log(`[${name}] failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  );
  return { stop: () => job.stop() };
}
