import type { DoctorCheck } from "./doctorReport.js";

/** What one read of a queue or table found (without creating anything). */
export type StorageFinding =
  | { state: "exists" }
  | { state: "absent" }
  | { state: "refused"; status: number; code?: string | undefined }
  | { state: "unreachable"; reason: string }
  | { state: "notConfigured"; reason: string };

/** Which storage resource a check is about, and the data role the app's identity needs on it. */
export interface StorageTarget {
  check: "storageQueue" | "outcomeTable" | "budgetTable";
  /** e.g. `queue hr-onboarding`, `table ContactOutcomes`. */
  what: string;
  role: "Storage Queue Data Contributor" | "Storage Table Data Contributor";
  /** What it is for, for the detail. */
  purpose: string;
}

/** The verdict on one queue or table: reachable (existing or to be created on first use), or what to do. */
export function storageCheck(target: StorageTarget, found: StorageFinding): DoctorCheck {
  const base = { check: target.check };
  switch (found.state) {
    case "exists":
      return {
        ...base,
        status: "ok",
        code: "storage_ok",
        detail: `${target.what} (${target.purpose}) is there and readable`,
      };
    case "absent":
      return {
        ...base,
        status: "ok",
        code: "storage_absent",
        detail: `${target.what} (${target.purpose}) is reachable and not created yet: the app creates it on first use`,
      };
    case "refused":
      return {
        ...base,
        status: "fail",
        code: "storage_refused",
        detail: `${target.what}: storage refused the identity (${found.status}${found.code ? ` ${found.code}` : ""})`,
        fix: `give the app's identity ${target.role} on the storage account (infra/app/rbac.bicep does; role assignments take a few minutes to apply)`,
      };
    case "unreachable":
      return {
        ...base,
        status: "fail",
        code: "storage_unreachable",
        detail: `${target.what}: storage did not answer (${found.reason})`,
        fix: "check AzureWebJobsStorage (locally: is Azurite running?) or AzureWebJobsStorage__queueServiceUri / __tableServiceUri, and the account's network rules",
      };
    case "notConfigured":
      return {
        ...base,
        status: "fail",
        code: "storage_not_configured",
        detail: found.reason,
        fix: "set AzureWebJobsStorage (a connection string; UseDevelopmentStorage=true for Azurite) or the identity-based AzureWebJobsStorage__*ServiceUri settings",
      };
  }
}
