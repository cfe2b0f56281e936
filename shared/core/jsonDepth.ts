/**
 * Nesting limits for untrusted JSON. `JSON.parse` itself copes with any depth, but everything after it that
 * recurses (`JSON.stringify`, zod, a hash of the content) overflows the stack on `[[[[…` 100 000 deep, which
 * turns one request into a bare 500 or one queue message into a poison message with no outcome. Every check
 * here is iterative, so the check itself cannot overflow.
 */

/**
 * How deep any JSON this app accepts may nest. A ContactEvent is 3 levels deep and a SCIM BulkRequest about 6;
 * 32 leaves room for every real sender and is far below any stack limit.
 */
export const maxJsonDepth = 32;

/**
 * Says whether JSON text nests deeper than `max` (arrays and objects), by counting brackets outside strings.
 * Stops at the first level too deep, so its cost is bounded by the text's length, never by its depth.
 * Malformed text is not judged here: the parser reports it.
 */
export function jsonTextExceedsDepth(text: string, max: number = maxJsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i += 1; // backslash: the next character is escaped, whatever it is
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * Says whether a value (parsed JSON, e.g. a queue message) nests deeper than `max`, walking it with an explicit
 * stack. A value nested `max` deep or less is walked whole; deeper ones stop at the first node too deep.
 */
export function valueExceedsDepth(value: unknown, max: number = maxJsonDepth): boolean {
  const stack: Array<[node: unknown, depth: number]> = [[value, 0]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (depth + 1 > max) return true;
    // A cycle is infinitely deep; plain JSON never has one.
    if (seen.has(node)) return true;
    seen.add(node);
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * `JSON.stringify` for plain data that never overflows the stack: the same text as `JSON.stringify` for
 * anything within the depth limit, and an equally stable rendering (built with an explicit stack) for what
 * nests deeper, so a hash of it is the same for the same message. Meant for ids and hashes, not for output.
 */
export function stableJsonText(value: unknown): string {
  if (!valueExceedsDepth(value, maxJsonDepth)) {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      // A getter that throws, a BigInt: fall through to the walk, which reads only own enumerable values.
    }
  }
  const parts: string[] = [];
  // Each entry is either a value still to render or literal text (a comma, a key, a closing bracket).
  const stack: Array<{ value: unknown } | { text: string }> = [{ value }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const entry = stack.pop() as { value: unknown } | { text: string };
    if ("text" in entry) {
      parts.push(entry.text);
      continue;
    }
    const node = entry.value;
    if (typeof node !== "object" || node === null) {
      parts.push(scalarText(node));
    } else if (seen.has(node)) {
      parts.push('"[cycle]"');
    } else {
      seen.add(node);
      const isArray = Array.isArray(node);
      const items: Array<[key: string | undefined, child: unknown]> = isArray
        ? node.map((child) => [undefined, child])
        : Object.entries(node);
      parts.push(isArray ? "[" : "{");
      stack.push({ text: isArray ? "]" : "}" });
      for (let i = items.length - 1; i >= 0; i -= 1) {
        const [key, child] = items[i] as [string | undefined, unknown];
        stack.push({ value: child });
        if (key !== undefined) stack.push({ text: `${JSON.stringify(key)}:` });
        if (i > 0) stack.push({ text: "," });
      }
    }
  }
  return parts.join("");
}

function scalarText(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return String(value);
  if (typeof value === "bigint") return `"${value}n"`;
  return "null";
}
