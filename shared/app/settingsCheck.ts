import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { ConfigError, ensureErrorType } from "../core/errors.js";
import { WriteLimiter } from "../graph/writeLimiter.js";
import { problem } from "../http/problem.js";
import { appServices } from "./appServices.js";
import { loadSettings, SettingsError } from "./config.js";
import { graphDirectoryFromSettings } from "./graphDirectoryFromSettings.js";
import { contactRuleOptionsFrom } from "./ruleOptions.js";

/**
 * What is wrong with the environment's settings, found without I/O: every setting's own check, the contact
 * rules' region, and the Graph endpoint and token rules. Storage is not checked here: the Functions host itself
 * needs it before any trigger runs, and says so.
 */
export function settingsProblem(): ConfigError | undefined {
  try {
    const settings = loadSettings();
    contactRuleOptionsFrom(settings);
    graphDirectoryFromSettings(settings, new WriteLimiter({ budget: 1, windowMs: 1000 }));
    return undefined;
  } catch (err) {
    return asConfigError(err);
  }
}

/**
 * The problem, if any, with building the app's services from the settings (storage included): what an HTTP
 * function would otherwise meet as a 500 with an empty body on every call.
 */
export function servicesProblem(): ConfigError | undefined {
  try {
    appServices();
    return undefined;
  } catch (err) {
    return asConfigError(err);
  }
}

function asConfigError(err: unknown): ConfigError {
  if (err instanceof ConfigError) return err;
  // A client the settings cannot build (a malformed connection string): name the error, never the value.
  const error = ensureErrorType(err);
  return new ConfigError(
    `The settings cannot be used (${error.name}); check AzureWebJobsStorage and GRAPH_*`,
    {
      cause: err,
    },
  );
}

const logged = new Set<string>();

/** Logs a settings problem once per process, whichever function meets it first. */
export function logSettingsProblemOnce(problemFound: ConfigError, log: (line: string) => void): void {
  if (logged.has(problemFound.message)) return;
  logged.add(problemFound.message);
  log(
    `The app's settings are invalid; every function answers 503 until they are fixed. ${problemFound.message}`,
  );
}

/**
 * The answer of every HTTP function while the settings are invalid: 503 (the app is unavailable, not the request
 * wrong), naming each bad setting, the problem and the fix. Secret values are never in it (see SettingsError).
 */
export function settingsProblemResponse(problemFound: ConfigError): HttpResponseInit {
  const details =
    problemFound instanceof SettingsError
      ? problemFound.issues.map((issue) => ({
          field: issue.setting,
          code: "setting_invalid",
          message: issue.problem,
          hint: issue.fix,
        }))
      : undefined;
  return problem(
    503,
    "configuration_error",
    `The app's settings are invalid, so it serves nothing until an administrator fixes them (the app restarts when its settings change). ${problemFound.message}`,
    details,
  );
}

/** Wraps an HTTP handler so that invalid settings give the 503 above (logged once), not a 500 with an empty body. */
export function whileSettingsValid(handler: HttpHandler): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    const found = servicesProblem();
    if (found) {
      logSettingsProblemOnce(found, (line) => context.error(line));
      return settingsProblemResponse(found);
    }
    return handler(request, context);
  };
}
