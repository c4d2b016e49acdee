import { Cloud, Folder, KeyRound, Pencil, PlugZap, Trash2 } from "lucide-react";
import type { DestinationKind, DestinationView } from "../../bindings";
import { relativeTime } from "../../lib/format";

const KIND_LABEL: Record<DestinationKind, string> = { local: "Local folder", s3: "S3" };

export function KindBadge({ kind }: { kind: DestinationKind }) {
  const Icon = kind === "local" ? Folder : Cloud;
  return (
    <span className={`badge badge--${kind}`} data-testid="kind-badge">
      <Icon size={12} aria-hidden />
      {KIND_LABEL[kind] ?? kind}
    </span>
  );
}

type DestinationsTableProps = {
  destinations: DestinationView[];
  highlightId?: string | null;
  onRemove: (destination: DestinationView) => void;
  onTest: (destination: DestinationView) => void;
  onEdit: (destination: DestinationView) => void;
};

export function DestinationsTable({
  destinations,
  highlightId,
  onRemove,
  onTest,
  onEdit,
}: DestinationsTableProps) {
  return (
    <div className="table-card">
      <table className="table" data-testid="destinations-table">
        <thead>
          <tr>
            <th scope="col" className="col-name">
              Name
            </th>
            <th scope="col" className="col-kind">
              Kind
            </th>
            <th scope="col">Location</th>
            <th scope="col" className="col-created">
              Created
            </th>
            <th scope="col" className="col-actions--wide">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {destinations.map((d) => (
            <tr
              key={d.id}
              data-testid="destination-row"
              data-id={d.id}
              className={d.id === highlightId ? "row--new" : undefined}
            >
              <td className="col-name">
                <span className="cell-name" title={d.name}>
                  {d.name}
                </span>
                {d.secretMissing && (
                  <button
                    type="button"
                    className="badge badge--warning badge--action"
                    onClick={() => onEdit(d)}
                    title="Its secret access key is not in this computer's keyring: edit the destination and type it"
                    data-testid="destination-secret-missing"
                  >
                    <KeyRound size={12} aria-hidden />
                    Secret key needed
                  </button>
                )}
              </td>
              <td className="col-kind">
                <KindBadge kind={d.kind} />
              </td>
              <td>
                {/* Paths keep their end visible; s3://bucket/prefix keeps its start. */}
                <span
                  className={`cell-location ${d.kind === "local" ? "truncate-start" : "truncate-end"}`}
                  title={d.location}
                >
                  <bdi>{d.location}</bdi>
                </span>
              </td>
              <td className="col-created">
                <time dateTime={d.createdAt} title={d.createdAt}>
                  {relativeTime(d.createdAt)}
                </time>
              </td>
              <td className="col-actions--wide">
                <button
                  type="button"
                  className="button button--small"
                  onClick={() => onTest(d)}
                  data-testid="test-destination"
                >
                  <PlugZap size={13} aria-hidden />
                  Test
                </button>
                <button
                  type="button"
                  className="icon-button"
                  aria-label={`Edit ${d.name}`}
                  title="Edit destination"
                  onClick={() => onEdit(d)}
                  data-testid="edit-destination"
                >
                  <Pencil size={15} aria-hidden />
                </button>
                <button
                  type="button"
                  className="icon-button icon-button--danger"
                  aria-label={`Remove ${d.name}`}
                  title="Remove destination"
                  onClick={() => onRemove(d)}
                  data-testid="remove-destination"
                >
                  <Trash2 size={15} aria-hidden />
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
