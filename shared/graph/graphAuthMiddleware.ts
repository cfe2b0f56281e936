import type { Context, Middleware } from "@microsoft/microsoft-graph-client";

/** Returns a bearer token; called for every request, so it should cache. */
export type TokenSource = () => Promise<string>;

/**
 * Sets `Authorization` for requests to the configured Graph origin and removes it for any other host.
 * Replaces the SDK's AuthenticationHandler, which only authenticates `https://` Graph hosts (host compared
 * without port) and strips the header otherwise, so an `http://127.0.0.1:PORT` endpoint would get no token.
 */
export class GraphAuthMiddleware implements Middleware {
  private next: Middleware | undefined;

  constructor(
    private readonly origin: string,
    private readonly token: TokenSource,
  ) {}

  async execute(context: Context): Promise<void> {
    if (originOf(requestUrl(context)) === this.origin) {
      setRequestHeader(context, "Authorization", `Bearer ${await this.token()}`);
    } else {
      // A nextLink or redirect to another host must never carry our token.
      removeRequestHeader(context, "Authorization");
    }
    if (!this.next)
      throw new Error("GraphAuthMiddleware is the last middleware; the chain needs a fetch handler");
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}

/** The absolute URL of the request in a middleware context. */
export function requestUrl(context: Context): string {
  return typeof context.request === "string" ? context.request : context.request.url;
}

/** The request method in a middleware context (GET when unset, as fetch does). */
export function requestMethod(context: Context): string {
  const method = typeof context.request === "string" ? context.options?.method : context.request.method;
  return (method ?? "GET").toUpperCase();
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** Reads a header whichever shape the SDK used for it; undefined when absent. */
export function requestHeader(context: Context, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const headers = typeof context.request === "string" ? context.options?.headers : context.request.headers;
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const entries = Array.isArray(headers) ? headers : Object.entries(headers as Record<string, string>);
  return entries.find(([key]) => key?.toLowerCase() === wanted)?.[1];
}

/** Sets a header whichever shape the SDK used for it (plain object, Headers or tuple list). */
export function setRequestHeader(context: Context, name: string, value: string): void {
  if (typeof context.request !== "string") {
    context.request.headers.set(name, value);
    return;
  }
  context.options ??= {};
  removeRequestHeader(context, name);
  const headers = context.options.headers;
  if (headers === undefined) context.options.headers = { [name]: value };
  else if (headers instanceof Headers) headers.set(name, value);
  else if (Array.isArray(headers)) headers.push([name, value]);
  else (headers as Record<string, string>)[name] = value;
}

function removeRequestHeader(context: Context, name: string): void {
  if (typeof context.request !== "string") {
    context.request.headers.delete(name);
    return;
  }
  const headers = context.options?.headers;
  if (!headers || !context.options) return;
  const wanted = name.toLowerCase();
  if (headers instanceof Headers) headers.delete(name);
  else if (Array.isArray(headers)) {
    context.options.headers = headers.filter(([key]) => key?.toLowerCase() !== wanted);
  } else {
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === wanted) delete (headers as Record<string, string>)[key];
    }
  }
}
