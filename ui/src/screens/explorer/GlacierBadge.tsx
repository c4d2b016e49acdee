import type { BackupView } from "../../bindings";
import { localTime } from "../../lib/format";

/** Storage classes people know by another name in the AWS console. */
const CLASS_NAMES: Record<string, string> = {
  STANDARD_IA: "Standard-IA",
  ONEZONE_IA: "One Zone-IA",
  INTELLIGENT_TIERING: "Intelligent-Tiering",
  GLACIER_IR: "Glacier Instant Retrieval",
  GLACIER: "Glacier Flexible Retrieval",
  DEEP_ARCHIVE: "Glacier Deep Archive",
};

/** Whether the backup can be read now (not in Glacier, or restored from it). */
export function isReadable(backup: BackupView): boolean {
  return !backup.glacier || backup.glacier.state === "restored";
}

/** The storage class when it is not the default, and where a Glacier restore stands. */
export function GlacierBadge({ backup }: { backup: BackupView }) {
  const cls = backup.storageClass;
  if (!cls || cls === "STANDARD") return null;
  const name = CLASS_NAMES[cls] ?? cls;
  const glacier = backup.glacier;
  let state: string | null = null;
  let tone = "badge--class";
  if (glacier?.state === "archived") {
    state = "needs restore to read";
    tone = "badge--cold";
  } else if (glacier?.state === "restoring") {
    state = "restoring…";
    tone = "badge--cold";
  } else if (glacier?.state === "restored") {
    state = glacier.readyUntil ? `restored until ${localTime(glacier.readyUntil)}` : "restored";
  }
  return (
    <p className="cell-detail">
      <span className={`badge ${tone}`} data-testid="storage-class" data-state={glacier?.state ?? "readable"}>
        {name}
      </span>
      {state && <span className="glacier-state"> {state}</span>}
    </p>
  );
}
