/**
 * What is wrong with an `AzureWebJobsStorage` connection string, said without repeating any of its values (the
 * account key and SAS are in it), or undefined when the storage SDKs can build clients from it. Checked when the
 * settings are read, so the app, the CLI and `doctor` refuse it the same way instead of meeting the SDKs' own
 * errors (`Cannot read properties of undefined (reading 'toLowerCase')` for a value with no `=` at all).
 */
export function storageConnectionProblem(text: string): string | undefined {
  const pairs = new Map<string, string>();
  for (const part of text.split(";")) {
    if (part.trim() === "") continue;
    const equals = part.indexOf("=");
    // A SAS value holds `=` itself, so only the first one separates the key.
    if (equals <= 0) return "is not a connection string (key=value pairs separated by ;)";
    const key = part.slice(0, equals).trim();
    // The queue SDK reads the names exactly as spelled: `usedevelopmentstorage=true` fails as an invalid URL.
    const spelled = knownKeys.find((known) => known.toLowerCase() === key.toLowerCase());
    if (spelled !== undefined && spelled !== key)
      return `writes ${spelled} in another case (the names are case-sensitive)`;
    pairs.set(key, part.slice(equals + 1).trim());
  }
  const development = pairs.get("UseDevelopmentStorage");
  if (development !== undefined) {
    // As the queue SDK reads it: `True` fails there.
    return development === "true" ? undefined : "sets UseDevelopmentStorage to something other than true";
  }
  if (pairs.has("SharedAccessSignature")) return sasProblem(pairs);
  return accountKeyProblem(pairs);
}

const knownKeys = [
  "UseDevelopmentStorage",
  "DevelopmentStorageProxyUri",
  "DefaultEndpointsProtocol",
  "AccountName",
  "AccountKey",
  "EndpointSuffix",
  "SharedAccessSignature",
  "BlobEndpoint",
  "QueueEndpoint",
  "TableEndpoint",
  "FileEndpoint",
];

/** A SAS connection string names each service's endpoint itself: the app uses the queue and table ones. */
function sasProblem(pairs: ReadonlyMap<string, string>): string | undefined {
  if (!pairs.get("SharedAccessSignature")) return "has an empty SharedAccessSignature";
  return endpointsProblem(pairs, "");
}

function accountKeyProblem(pairs: ReadonlyMap<string, string>): string | undefined {
  const missing = ["AccountName", "AccountKey", "DefaultEndpointsProtocol"].filter((key) => !pairs.get(key));
  if (missing.length > 0) return `has no ${missing.join(", no ")}`;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(pairs.get("AccountKey") ?? ""))
    return "has an AccountKey that is not base64";
  const protocol = pairs.get("DefaultEndpointsProtocol")?.toLowerCase();
  if (protocol !== "https" && protocol !== "http")
    return "has a DefaultEndpointsProtocol other than https or http";
  if (pairs.get("EndpointSuffix")) return endpointsProblem(pairs, undefined);
  return endpointsProblem(pairs, " (nor an EndpointSuffix to derive it from)");
}

/**
 * The queue and table endpoints, when given, must be URLs; `required` (with a SAS, or with no EndpointSuffix) is
 * what to add when one is missing, undefined when the SDK derives them.
 */
function endpointsProblem(
  pairs: ReadonlyMap<string, string>,
  required: string | undefined,
): string | undefined {
  for (const key of ["QueueEndpoint", "TableEndpoint"]) {
    const value = pairs.get(key);
    if (value === undefined || value === "") {
      if (required !== undefined) return `has no ${key}${required}`;
      continue;
    }
    if (!isHttpUrl(value)) return `has a ${key} that is not an http(s) URL`;
  }
  return undefined;
}

/**
 * The problem with an identity-based `AzureWebJobsStorage__queueServiceUri` / `__tableServiceUri`: it must be the
 * account's https address (http only on loopback, where Azurite listens).
 */
export function serviceUriProblem(text: string): string | undefined {
  if (!isHttpUrl(text)) return "is not an http(s) URL";
  const url = new URL(text);
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol === "http:" && !loopback) return "is http:// to a host other than this machine";
  if (url.username || url.password || url.search) return "carries credentials or a query";
  return undefined;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}
