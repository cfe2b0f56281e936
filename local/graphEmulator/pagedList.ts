import { badRequest, type EmulatorResponse, json } from "./emulatorResponse.js";
import type { HandlerContext } from "./HandlerContext.js";

/**
 * One page of a list, as Graph answers a collection GET: `$top` from 1 to `size.max` (default `size.default`), or a
 * fixed page size where the list takes no `$top`; `$skiptoken` (the emulator's own form); `value` rendered item by
 * item; and, while more remain, an absolute `@odata.nextLink` that repeats the query (`carried`, in its order, then
 * `$top` where the list takes one, then `$skiptoken`). Clients must follow the nextLink as is. The handler checks
 * everything else first, so a bad `$top` or `$skiptoken` is the 400 it answers only when nothing else is wrong.
 */
export function pagedList<T>(
  ctx: HandlerContext,
  list: {
    items: readonly T[];
    size: { default: number; max: number } | { fixed: number };
    /** The whole `@odata.context`. */
    context: string;
    /** The list's path after the base URL, for the nextLink. */
    path: string;
    /** The query parts the nextLink repeats before `$top` and `$skiptoken` (undefined ones are left out). */
    carried: ReadonlyArray<string | undefined>;
    render: (item: T) => Record<string, unknown>;
  },
): EmulatorResponse {
  const { size } = list;
  let top: number;
  if ("fixed" in size) {
    top = size.fixed;
  } else {
    const topText = ctx.query.get("$top");
    top = topText === null ? size.default : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > size.max) {
      return badRequest(
        `Invalid page size specified: '${topText}'. Must be between 1 and ${size.max} inclusive.`,
      );
    }
  }
  const offset = decodeSkipToken(ctx.query.get("$skiptoken"));
  if (offset === undefined) return badRequest("Invalid $skiptoken value.");
  const body: Record<string, unknown> = {
    "@odata.context": list.context,
    value: list.items.slice(offset, offset + top).map(list.render),
  };
  if (offset + top < list.items.length) {
    const params = [
      ...list.carried,
      "fixed" in size ? undefined : `$top=${top}`,
      `$skiptoken=${encodeSkipToken(offset + top)}`,
    ].filter((p): p is string => p !== undefined);
    body["@odata.nextLink"] = `${ctx.baseUrl}/${list.path}?${params.join("&")}`;
  }
  return json(200, body);
}

/** An opaque `$skiptoken` for the next page (the emulator's own form; clients follow nextLink as is). */
function encodeSkipToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString("base64url");
}

/** The offset a `$skiptoken` stands for (0 when absent); undefined when it is not one of ours. */
function decodeSkipToken(token: string | null): number | undefined {
  if (token === null) return 0;
  try {
    const offset = (JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: unknown }).o;
    return typeof offset === "number" && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
}
