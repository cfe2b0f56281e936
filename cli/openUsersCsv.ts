import { maskContact } from "../shared/contact/mask.js";
import { toCsvCell } from "../shared/core/csvCell.js";
import type { ReadinessVerdict } from "../shared/readiness/classifyReadiness.js";
import { reportFields, type UserReadinessLine } from "../shared/readiness/readinessReport.js";
import { LineWriter } from "./lineWriter.js";
import { openPrivateWriteStream } from "./privateFile.js";
import { UsageError } from "./usageError.js";

/** The --users CSV (0600): its header written, one line per user to follow (`toUserCsvLine`). */
export async function openUsersCsv(
  path: string,
): Promise<{ writer: LineWriter; close: () => Promise<void> }> {
  const stream = await openPrivateWriteStream(path).catch((err: Error) => {
    throw new UsageError(`Cannot write ${path}: ${err.message}`, { cause: err });
  });
  const writer = new LineWriter(stream);
  writer.write(
    `id,userPrincipalName,department,country,synced,bucket,reason,fields,ruleCode,detail,${reportFields.map((f) => `${f},${f}Value,${f}Code`).join(",")}\n`,
  );
  return {
    writer,
    close: async () => {
      await writer.flush();
      await new Promise<void>((resolve, reject) =>
        stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
    },
  };
}

/** One per-user line: the bucket and why, then the profile verdicts with masked values only. */
export function toUserCsvLine(line: UserReadinessLine, verdict: ReadinessVerdict): string {
  const user = line.user;
  const cells = [
    user.id,
    user.userPrincipalName,
    user.department ?? "",
    user.usageLocation ?? user.country ?? "",
    String(line.synced),
    verdict.bucket,
    verdict.bucket === "cannot" ? verdict.reason : verdict.bucket === "canResetNow" ? verdict.basis : "",
    verdict.bucket === "canResetNow" ? "" : verdict.fields.join(" "),
    verdict.bucket === "cannot" ? (verdict.ruleCode ?? "") : "",
    verdict.bucket === "cannot" ? verdict.detail : "",
  ];
  for (const field of reportFields) {
    const readiness = line.fields.find((f) => f.field === field && f.source === "profile");
    cells.push(readiness?.verdict ?? "", maskContact(readiness?.value), readiness?.code ?? "");
  }
  return `${cells.map(toCsvCell).join(",")}\n`;
}
