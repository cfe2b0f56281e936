import type { EmulatedTenant } from "./EmulatedTenant.js";
import type { EmulatorStats } from "./EmulatorStats.js";

/** What a handler needs: the tenant, the counters, and the request already parsed (the route's params apart). */
export interface HandlerContext {
  tenant: EmulatedTenant;
  stats: EmulatorStats;
  /** Public base URL including the version, e.g. `http://127.0.0.1:4000/v1.0` (for nextLink and @odata.context). */
  baseUrl: string;
  query: URLSearchParams;
  body: unknown;
}
