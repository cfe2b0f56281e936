import { isLoopbackUrl } from "./isLoopbackUrl.js";
import { StartProblem } from "./startProblem.js";

/** The identity-based storage settings: each a service address of an account (`__accountName` names one outright). */
const serviceUriSettings = [
  "AzureWebJobsStorage__queueServiceUri",
  "AzureWebJobsStorage__tableServiceUri",
  "AzureWebJobsStorage__blobServiceUri",
  "AzureWebJobsStorage__serviceUri",
] as const;

/**
 * The refusal for storage that isn't this machine's Azurite, or undefined when every storage address the settings
 * name is loopback (or none is set). The local host takes the onboarding queue's events, writes outcomes and the
 * deployment policy: pointed at a deployed account it processes production HR events (into the emulated tenant)
 * and leaves demo outcomes beside real ones. Decided from the settings' text alone, before any connection; the
 * account key is never repeated, only the address it would reach.
 */
export function remoteStorageProblem(settings: Readonly<Record<string, unknown>>): StartProblem | undefined {
  const text = (name: string) => {
    const value = settings[name];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const fix =
    "point it at Azurite on this machine (UseDevelopmentStorage=true), or unset it for npm start's own; a deployed account is the sspr-prepop CLI's to work with, not the local host's";
  const refuse = (name: string, where: string) =>
    new StartProblem(
      `${name} names storage off this machine (${where}): the local host would take its queued HR events and record outcomes there; ${fix}`,
    );
  const connection = text("AzureWebJobsStorage");
  if (connection !== undefined) {
    const remote = remoteEndpointOf(connection);
    if (remote !== undefined) return refuse("AzureWebJobsStorage", remote);
  }
  if (text("AzureWebJobsStorage__accountName") !== undefined)
    return refuse("AzureWebJobsStorage__accountName", "a storage account by name");
  for (const name of serviceUriSettings) {
    const uri = text(name);
    if (uri !== undefined && !isLoopbackUrl(uri)) return refuse(name, hostOf(uri));
  }
  return undefined;
}

/**
 * The first address off this machine a connection string reaches, or undefined when all of them are loopback.
 * `UseDevelopmentStorage=true` is Azurite's (unless a DevelopmentStorageProxyUri sends it elsewhere). Otherwise the
 * queue and table the app uses are reached at their explicit endpoints, else at the ones the SDKs derive from
 * AccountName and EndpointSuffix (`https://<account>.queue.core.windows.net`): never loopback.
 */
function remoteEndpointOf(connection: string): string | undefined {
  const pairs = new Map<string, string>();
  for (const part of connection.split(";")) {
    const equals = part.indexOf("=");
    if (equals > 0) pairs.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim());
  }
  if (pairs.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    const proxy = pairs.get("developmentstorageproxyuri");
    return proxy && !isLoopbackUrl(proxy) ? hostOf(proxy) : undefined;
  }
  for (const service of ["queue", "table", "blob", "file"]) {
    const endpoint = pairs.get(`${service}endpoint`);
    if (endpoint) {
      if (!isLoopbackUrl(endpoint)) return hostOf(endpoint);
    } else if (service === "queue" || service === "table") {
      const account = pairs.get("accountname") || "an account";
      return `${account}.${service}.${pairs.get("endpointsuffix") || "core.windows.net"}`;
    }
  }
  return undefined;
}

/** The host a setting's URL reaches, for the refusal (never its path, query or credentials); else a placeholder. */
function hostOf(text: string): string {
  try {
    return new URL(text).host || "an address that is not a URL";
  } catch {
    return "an address that is not a URL";
  }
}
