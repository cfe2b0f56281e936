import type { TableClient } from "@azure/data-tables";
import type {
  DeploymentPolicyStore,
  PolicyReading,
  ProtectionPolicy,
  PublishedPolicy,
} from "../sync/deploymentPolicy.js";
import { fromPolicyRecord, type PolicyRecord, publishedOf, toPolicyRecord } from "../sync/policyRecord.js";
import { ensureTable } from "./ensureTable.js";
import { isRestStatus } from "./isRestStatus.js";

/**
 * The table holding the deployment's policy: a constant, not a setting, so an admin's shell cannot point the CLI
 * at another table than the app writes (only at another storage account, which then has no row).
 */
export const deploymentPolicyTable = "DeploymentPolicy";

/** The one row's keys. */
export const deploymentPolicyKeys = { partitionKey: "deployment", rowKey: "policy" } as const;

/** The published policy as one Table row, replaced whole at each start of the app. */
export class TableDeploymentPolicy implements DeploymentPolicyStore {
  /** Creates the table on first use, or finds it there when this identity may not create tables (ensureTable). */
  readonly #ensureTable: () => Promise<void>;

  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.#ensureTable = ensureTable(table);
  }

  async publish(policy: ProtectionPolicy): Promise<PublishedPolicy> {
    await this.#ensureTable();
    const published = publishedOf(policy, this.now());
    // Replace, not merge: a property an older app wrote must not survive next to this schema's.
    await this.table.upsertEntity<PolicyRecord & typeof deploymentPolicyKeys>(
      { ...deploymentPolicyKeys, ...toPolicyRecord(published) },
      "Replace",
    );
    return published;
  }

  async read(): Promise<PolicyReading> {
    let entity: Record<string, unknown>;
    try {
      entity = await this.table.getEntity(deploymentPolicyKeys.partitionKey, deploymentPolicyKeys.rowKey);
    } catch (err) {
      // 404: no table or no row — the app never started against this account.
      if (isRestStatus(err, 404)) {
        return {
          known: false,
          code: "policy_not_published",
          reason: `no policy row in table ${deploymentPolicyTable} of this storage account`,
        };
      }
      throw err;
    }
    return fromPolicyRecord(entity);
  }
}
