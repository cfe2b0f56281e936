import { RestError } from "@azure/data-tables";

/** True when the storage service answered one of these HTTP statuses (409 exists, 412 ETag moved, 404 gone …). */
export function isRestStatus(err: unknown, ...codes: number[]): boolean {
  return err instanceof RestError && err.statusCode !== undefined && codes.includes(err.statusCode);
}
