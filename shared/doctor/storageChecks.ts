import type { DoctorCheck } from "./doctorReport.js";

/** What one read of a queue or table found (without creating anything). */
export type StorageFinding =
  /** `writable`: for a table shared by the fleet, whether this identity may write it (absent: not asked or unknown). */
  | { state: "exists"; writable?: boolean | undefined }
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
  /**
   * For the table only the app's identity writes (the fleet's write budget): who runs the doctor — the app inside
   * App Service, or a person's sign-in — and the share of the budget a sign-in that may only read it paces on.
   */
  sharedByFleet?: { runsAs: "app" | "signIn"; readOnlyShare: number };
}

/** The verdict on one queue or table: reachable (existing or to be created on first use), or what to do. */
export function storageCheck(target: StorageTarget, found: StorageFinding): DoctorCheck {
  const base = { check: target.check };
  switch (found.state) {
    case "exists":
      if (found.writable !== undefined && target.sharedByFleet)
        return fleetTableCheck(target, target.sharedByFleet, found.writable);
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

/**
 * The fleet's table as this identity may use it. The app's processes must write it to share one budget; a person's
 * sign-in only reads it (infra/app/rbac.bicep), which is what keeps a forged pause out of their hands, and paces
 * the backfill on a share of its own instead.
 */
function fleetTableCheck(
  target: StorageTarget,
  fleet: NonNullable<StorageTarget["sharedByFleet"]>,
  writable: boolean,
): DoctorCheck {
  const table = `${target.what} (${target.purpose})`;
  const ownShare = `${shareOf(fleet.readOnlyShare)} the budget`;
  if (writable)
    return {
      check: target.check,
      status: "ok",
      code: "storage_writable",
      detail: `${table} is writable (the fleet shares it)`,
    };
  if (fleet.runsAs === "signIn")
    return {
      check: target.check,
      status: "ok",
      code: "storage_read_only_for_you",
      detail: `${table} is read-only for you: only the app's identity writes it; your backfill paces on ${ownShare}`,
    };
  return {
    check: target.check,
    status: "fail",
    code: "storage_read_only",
    detail: `${table} is read-only to the app's identity: its processes can't share the budget, each paces on ${ownShare} of its own, and together they may overrun Graph`,
    fix: `give the app's identity ${target.role} on the storage account (infra/app/rbac.bicep does; role assignments take a few minutes to apply)`,
  };
}

function shareOf(share: number): string {
  return share === 0.5 ? "half" : `${Math.round(share * 100)}% of`;
}
