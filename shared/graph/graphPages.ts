import { DirectoryErrorKind } from "../directory/directoryError.js";
import { callGraph } from "./callGraph.js";
import type { GraphClient } from "./graphClient.js";
import { GraphRequestError } from "./graphRequestError.js";

/**
 * GETs `path`, then each `@odata.nextLink` exactly as Graph returns it, one request a page, yielding each page's
 * items. The next page is asked for only when the caller asks for it; a 403 names `permission`.
 */
export async function* graphPages(
  graph: GraphClient,
  path: string,
  operation: string,
  permission: string,
): AsyncGenerator<unknown[]> {
  let next: string | undefined = path;
  while (next) {
    const current: string = next;
    const body = await callGraph(operation, () => graph.client.api(current).get(), permission);
    yield valuesOf(body);
    const nextLink = (body as { "@odata.nextLink"?: unknown })["@odata.nextLink"];
    next = typeof nextLink === "string" ? nextLinkPath(graph.baseUrl, nextLink, operation) : undefined;
  }
}

/** The `value` array of a Graph collection (empty when the body has none). */
export function valuesOf(body: unknown): unknown[] {
  const value = (body as { value?: unknown } | undefined)?.value;
  return Array.isArray(value) ? value : [];
}

/**
 * Turns `@odata.nextLink` into a path for the SDK, which only parses `https://` links itself. The link is
 * followed as given (query untouched); one pointing at another origin is refused, as it would get our token.
 */
export function nextLinkPath(baseUrl: string, nextLink: string, operation: string): string {
  const base = new URL(`${baseUrl}/`);
  const link = new URL(nextLink, base);
  if (link.origin !== base.origin || !link.pathname.startsWith(base.pathname)) {
    throw new GraphRequestError(`${operation} failed: @odata.nextLink points outside GRAPH_BASE_URL`, {
      kind: DirectoryErrorKind.invalidRequest,
      statusCode: 0,
    });
  }
  return `/${link.pathname.slice(base.pathname.length)}${link.search}`;
}
