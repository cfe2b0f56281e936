import { badRequest, type EmulatorRequest, type EmulatorResponse, graphError } from "./emulatorResponse.js";

/** A request URL's version, path after it, and query. */
export function splitUrl(url: string): { version: string; path: string; query: URLSearchParams } | undefined {
  const queryAt = url.indexOf("?");
  const pathPart = queryAt === -1 ? url : url.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1));
  const match = /^\/([^/]+)\/?(.*)$/.exec(pathPart);
  if (!match) return undefined;
  return { version: match[1] ?? "", path: match[2] ?? "", query };
}

/** The JSON body of a write (none for a GET or an empty body), or Graph's 415/400 for one it cannot read. */
export function parseBody(
  request: EmulatorRequest,
  method: string,
): { value: unknown } | { error: EmulatorResponse } {
  if (request.body.trim() === "" || method === "GET") return { value: undefined };
  const contentType = header(request.headers, "content-type") ?? "";
  if (!/json/i.test(contentType)) {
    return { error: graphError(415, "UnsupportedMediaType", "Content-Type must be application/json.") };
  }
  try {
    return { value: JSON.parse(request.body) };
  } catch {
    return {
      error: badRequest(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
      ),
    };
  }
}

/** A header's value, its name matched case-insensitively. */
export function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
