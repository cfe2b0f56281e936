import { z } from "zod";
import { defaultEmulatorToken, startGraphEmulator } from "./graphEmulator/startGraphEmulator.js";

const rate = z.coerce.number().min(0).max(1).default(0);
const positive = z.coerce.number().int().positive().optional();

/** The emulator's own settings (a local tool, so it reads its env here rather than in shared/app/config.ts). */
const envSchema = z.object({
  GRAPH_EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  GRAPH_EMULATOR_TOKEN: z.string().min(1).default(defaultEmulatorToken),
  GRAPH_EMULATOR_TENANT: z.string().optional(),
  GRAPH_EMULATOR_LATENCY_MS: z.coerce.number().int().min(0).default(0),
  GRAPH_EMULATOR_FAULT_503_RATE: rate,
  GRAPH_EMULATOR_FAULT_504_AFTER_WRITE_RATE: rate,
  GRAPH_EMULATOR_WRITE_BUDGET: positive,
  GRAPH_EMULATOR_WRITE_WINDOW_SECONDS: positive,
  GRAPH_EMULATOR_RESOURCE_UNITS: positive,
  GRAPH_EMULATOR_RESOURCE_WINDOW_SECONDS: positive,
});

/** `tsx local/graphEmulatorMain.ts`: runs the emulated tenant until Ctrl-C and prints how to point the app at it. */
async function main(): Promise<void> {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).map((name) => [name, process.env[name]?.trim() || undefined]),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const env = parsed.data;
  const emulator = await startGraphEmulator({
    port: env.GRAPH_EMULATOR_PORT,
    token: env.GRAPH_EMULATOR_TOKEN,
    tenantFile: env.GRAPH_EMULATOR_TENANT,
    latencyMs: env.GRAPH_EMULATOR_LATENCY_MS,
    faults: {
      unavailableRate: env.GRAPH_EMULATOR_FAULT_503_RATE,
      timeoutAfterWriteRate: env.GRAPH_EMULATOR_FAULT_504_AFTER_WRITE_RATE,
    },
    throttle: {
      writeBudget: env.GRAPH_EMULATOR_WRITE_BUDGET,
      writeWindowMs: seconds(env.GRAPH_EMULATOR_WRITE_WINDOW_SECONDS),
      resourceUnits: env.GRAPH_EMULATOR_RESOURCE_UNITS,
      resourceWindowMs: seconds(env.GRAPH_EMULATOR_RESOURCE_WINDOW_SECONDS),
    },
  });
  const origin = new URL(emulator.url).origin;
  console.log(`Graph emulator listening at ${emulator.url} (${emulator.tenant.size} users)
  GRAPH_BASE_URL=${emulator.url}
  GRAPH_ACCESS_TOKEN=${emulator.token}
Try:
  curl -H 'Authorization: Bearer ${emulator.token}' '${emulator.url}/users?$select=id,userPrincipalName,employeeId'
Controls (same token): GET ${origin}/_emulator/stats, GET|PATCH ${origin}/_emulator/settings, POST ${origin}/_emulator/reset
Press Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await emulator.close();
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : value * 1000;
}

main().catch((err: unknown) => {
  console.error(`graph emulator failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
