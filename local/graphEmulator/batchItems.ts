import { badRequest, type EmulatorResponse } from "./emulatorResponse.js";
import { header } from "./requestParts.js";

/** JSON batching's limit on requests in one batch (https://learn.microsoft.com/en-us/graph/json-batching). */
const maxBatch = 20;

/** One request of a `$batch` body, checked. */
export interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

/**
 * The items of a `$batch` body, or Graph's 400 for a malformed one: ≤ 20 requests, unique non-empty ids, a method,
 * a relative url, Content-Type with a body, dependsOn naming other items.
 */
export function validateBatch(body: unknown): { value: BatchItem[] } | { error: EmulatorResponse } {
  const requests = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    return { error: badRequest("Invalid batch payload format: 'requests' must be a non-empty array.") };
  }
  if (requests.length > maxBatch) {
    return { error: badRequest(`Batch request exceeds the maximum of ${maxBatch} requests.`) };
  }
  const ids = new Set<string>();
  const items: BatchItem[] = [];
  for (const raw of requests as Array<Record<string, unknown>>) {
    const id = raw?.id;
    if (typeof id !== "string" || id === "")
      return { error: badRequest("Each batch request needs a non-empty string id.") };
    if (ids.has(id)) return { error: badRequest(`Batch request ids must be unique; '${id}' is repeated.`) };
    ids.add(id);
    if (typeof raw.method !== "string") return { error: badRequest(`Batch request '${id}' has no method.`) };
    if (typeof raw.url !== "string" || raw.url === "")
      return { error: badRequest(`Batch request '${id}' has no url.`) };
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw.url)) {
      return { error: badRequest(`Batch request '${id}' must use a relative url.`) };
    }
    const headers = raw.headers as Record<string, string> | undefined;
    if (raw.body !== undefined && header(headers ?? {}, "content-type") === undefined) {
      return { error: badRequest(`Write request id : ${id} does not contain Content-Type header or body.`) };
    }
    const dependsOn = raw.dependsOn;
    if (
      dependsOn !== undefined &&
      !(Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === "string"))
    ) {
      return { error: badRequest(`Batch request '${id}' has an invalid dependsOn.`) };
    }
    items.push({
      id,
      method: raw.method,
      url: raw.url,
      headers,
      body: raw.body,
      dependsOn: dependsOn as string[] | undefined,
    });
  }
  for (const item of items) {
    if (item.dependsOn?.some((d) => !ids.has(d) || d === item.id)) {
      return { error: badRequest(`Batch request '${item.id}' depends on an unknown request.`) };
    }
  }
  return { value: items };
}

/** Items in an order where each comes after what it depends on; undefined for a cycle. */
export function dependencyOrder(items: BatchItem[]): BatchItem[] | undefined {
  const done = new Set<string>();
  const order: BatchItem[] = [];
  while (order.length < items.length) {
    const ready = items.filter((i) => !done.has(i.id) && (i.dependsOn ?? []).every((d) => done.has(d)));
    if (ready.length === 0) return undefined;
    for (const item of ready) {
      done.add(item.id);
      order.push(item);
    }
  }
  return order;
}
