import type {
  DeploymentPolicyStore,
  PolicyReading,
  ProtectionPolicy,
  PublishedPolicy,
} from "../../shared/sync/deploymentPolicy.js";
import { fromPolicyRecord, publishedOf, toPolicyRecord } from "../../shared/sync/policyRecord.js";

/**
 * An in-memory DeploymentPolicyStore that behaves as TableDeploymentPolicy does (see
 * test/contracts/deploymentPolicyContract.ts): it keeps the row as the table would, through the same record
 * format, so it refuses a corrupt or other-schema row just as the table adapter does.
 */
export class MemoryDeploymentPolicy implements DeploymentPolicyStore {
  #row: Record<string, unknown> | undefined;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  async publish(policy: ProtectionPolicy): Promise<PublishedPolicy> {
    const published = publishedOf(policy, this.clock());
    this.#row = { ...toPolicyRecord(published) };
    return published;
  }

  async read(): Promise<PolicyReading> {
    if (!this.#row) {
      return { known: false, code: "policy_not_published", reason: "no policy row in this store" };
    }
    return fromPolicyRecord(this.#row);
  }

  /** Puts `row` in place of the published one, as another writer (an older app, a corrupt edit) might. */
  plant(row: Record<string, unknown>): void {
    this.#row = { ...row };
  }
}
