import { asMissingPermission, GraphRequestError } from "./graphRequestError.js";

/** Runs one request; a 403 on an operation with a known `permission` becomes kind `missingPermission`. */
export async function callGraph<T>(
  operation: string,
  send: () => Promise<T>,
  permission?: string,
): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const error = GraphRequestError.fromThrown(operation, err);
    throw permission ? asMissingPermission(error, permission) : error;
  }
}
