import { commandServices } from "../shared/app/appServices.js";
import { loadSettings } from "../shared/app/config.js";
import { replayPoison } from "../shared/app/replayPoison.js";
import { poisonQueueName } from "../shared/app/storageClients.js";
import { type CommandIo, ExitCode } from "./commandIo.js";
import { helpOption, parseCommandArgs } from "./commandOptions.js";
import { UsageError } from "./usageError.js";

export const replayPoisonUsage = `Usage: sspr-prepop replay-poison [--dry-run] [--max N]

Puts the messages the Functions host moved to the poison queue (ONBOARDING_QUEUE-poison, after host.json's
maxDequeueCount failed attempts) back on ONBOARDING_QUEUE, unchanged, once their cause is fixed. Run it after the
fix is deployed: a message replayed into the same fault comes back to the poison queue after its attempts.
An event whose last attempt gave up (outcome "failed") is reopened first: a "deferred" attempt is recorded over
it (the failure stays as the earlier attempt), so its message is processed again, not taken for a duplicate.
Each message is sent first and deleted from the poison queue second, so an interrupted replay leaves a
duplicate, never a loss (the pipeline processes an event once whatever the number of its messages).

  --dry-run         list what would be replayed (event ids, at most 32 shown) and change nothing
  --max N           replay at most N messages (default: all)
  -h, --help        show this help

Exit status: 0 replayed (or listed), 1 some message could not be moved (it stays on the poison queue),
2 usage or settings error. Settings: AzureWebJobsStorage (or AzureWebJobsStorage__queueServiceUri and
__tableServiceUri with an identity allowed to read and write queue messages and table entities),
ONBOARDING_QUEUE, OUTCOMES_TABLE.`;

/** `sspr-prepop replay-poison`: moves poison messages back onto the onboarding queue; returns the exit code. */
export async function replayPoisonCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    "dry-run": { type: "boolean" },
    max: { type: "string" },
    ...helpOption,
  });
  if (values.help) {
    io.stdout.write(`${replayPoisonUsage}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) throw new UsageError("replay-poison takes no FILE; see --help.");
  const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
  if (!(Number.isInteger(max) || max === Number.POSITIVE_INFINITY) || max < 1) {
    throw new UsageError(
      `--max must be a whole number of 1 or more, not "${String(values.max).slice(0, 20)}".`,
    );
  }
  const settings = loadSettings(io.env);
  const dryRun = values["dry-run"] === true;
  const poison = poisonQueueName(settings.ONBOARDING_QUEUE);
  const services = commandServices(settings, {}, {});
  const result = await replayPoison(services, { dryRun, max }).catch((err: unknown) => {
    throw new UsageError(
      `Cannot reach the queues ${poison} and ${settings.ONBOARDING_QUEUE}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
      { cause: err },
    );
  });

  for (const { messageId, insertedOn, eventId, note } of result.moved) {
    io.stdout.write(
      `${dryRun ? "would replay" : "replayed"} ${messageId}  event ${shown(eventId)}  poisoned since ${insertedOn?.toISOString() ?? "?"}${note ? `  (${note})` : ""}\n`,
    );
  }
  for (const { message, error } of result.failed) {
    io.stderr.write(
      `replay-poison: could not move ${message.messageId} (${error.name}); it stays on ${poison}\n`,
    );
  }
  if (dryRun) {
    io.stderr.write(
      `replay-poison: DRY RUN, nothing moved: ${result.waiting} message(s) on ${poison}${result.waiting > result.moved.length ? ` (${result.moved.length} listed)` : ""}; run without --dry-run to put them back on ${settings.ONBOARDING_QUEUE}\n`,
    );
    return ExitCode.ok;
  }
  io.stderr.write(
    `replay-poison: ${result.moved.length} message(s) moved from ${poison} to ${settings.ONBOARDING_QUEUE}${result.failed.length > 0 ? `, ${result.failed.length} not moved` : ""}\n`,
  );
  return result.failed.length > 0 ? 1 : ExitCode.ok;
}

/** An event id as printed: control characters and quotes out, so a hostile id cannot rewrite the terminal. */
function shown(eventId: string | undefined): string {
  return eventId === undefined ? "(not a JSON event)" : JSON.stringify(eventId).slice(1, -1);
}
