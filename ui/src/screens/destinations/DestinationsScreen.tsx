import { useEffect, useRef, useState } from "react";
import {
  CircleCheck,
  HardDrive,
  Info,
  LoaderCircle,
  Plus,
  RefreshCw,
  TriangleAlert,
  X,
} from "lucide-react";
import { commands, type DestinationSettings, type DestinationView } from "../../bindings";
import { EmptyState } from "../../components/EmptyState";
import { ErrorPanel } from "../../components/ErrorPanel";
import { PageHeader } from "../../components/PageHeader";
import { asFailure, call } from "../../lib/ipc";
import { asSentence } from "../../lib/s3";
import type { Overview } from "../../lib/useOverview";
import { AddDestinationDialog } from "./AddDestinationDialog";
import { DestinationsTable } from "./DestinationsTable";
import { RemoveDestinationDialog } from "./RemoveDestinationDialog";
import { TestDestinationDialog } from "./TestDestinationDialog";

export const EMPTY_HEADING = "No destinations yet - add one";

/** A toast; `details` are the engine's notices about what it changed in the input. */
type Notice = { id: number; text: string; details: string[] };

const NOTICE_MS = 4000;
/** Long enough to read a notice or two; such a toast can also be closed. */
const NOTICE_WITH_DETAILS_MS = 12000;

export function DestinationsScreen({ overview }: { overview: Overview }) {
  const { overview: data, error, loading, reload } = overview;
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<DestinationView | null>(null);
  const [testing, setTesting] = useState<DestinationView | null>(null);
  const [editing, setEditing] = useState<{ id: string; settings: DestinationSettings; secretMissing: boolean } | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [highlightId, setHighlightId] = useState<string | null>(null);
  const noticeSeq = useRef(0);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    if (!notice) return;
    const t = window.setTimeout(
      () => setNotice(null),
      notice.details.length > 0 ? NOTICE_WITH_DETAILS_MS : NOTICE_MS,
    );
    return () => window.clearTimeout(t);
  }, [notice]);

  function announce(text: string, details: string[] = []) {
    setNotice({ id: ++noticeSeq.current, text, details: details.map(asSentence) });
  }

  async function edit(d: DestinationView) {
    try {
      setEditing({
        id: d.id,
        settings: await call(() => commands.destinationSettings(d.id)),
        secretMissing: d.secretMissing,
      });
    } catch (e) {
      announce(`“${d.name}” cannot be edited: ${asFailure(e).message}`);
    }
  }

  const destinations = data?.destinations ?? [];
  const addButton = (
    <button
      type="button"
      className="button button--primary"
      onClick={() => setAdding(true)}
      data-testid="add-destination"
    >
      <Plus size={15} aria-hidden />
      Add destination
    </button>
  );

  let content: React.ReactNode;
  if (!data && loading) {
    content = (
      <div className="loading" role="status" data-testid="destinations-loading">
        <LoaderCircle size={16} className="spin" aria-hidden />
        Loading destinations…
      </div>
    );
  } else if (!data && error) {
    content = (
      <ErrorPanel
        title="Destinations could not be loaded"
        error={error}
        onRetry={() => void reload()}
        retrying={loading}
        testId="destinations-error"
      />
    );
  } else if (destinations.length === 0) {
    content = (
      <EmptyState
        icon={HardDrive}
        title={EMPTY_HEADING}
        action={addButton}
        testId="empty-destinations"
      >
        A destination is where backups are stored: an S3 bucket, Cloudflare R2, an S3-compatible
        server, or a local folder such as a NAS mount.
      </EmptyState>
    );
  } else {
    content = (
      <DestinationsTable
        destinations={destinations}
        highlightId={highlightId}
        onRemove={setRemoving}
        onTest={setTesting}
        onEdit={(d) => void edit(d)}
      />
    );
  }

  const count = destinations.length;
  return (
    <div className="page">
      <PageHeader
        title="Destinations"
        subtitle={
          data && count > 0
            ? `${count} ${count === 1 ? "destination" : "destinations"} · where your backups are stored`
            : "Where your backups are stored"
        }
        actions={data && count > 0 ? addButton : undefined}
      />

      {data && error && (
        <div className="banner banner--error" role="alert" data-testid="refresh-error">
          <TriangleAlert size={15} aria-hidden />
          <span>
            Could not refresh: {error.message} <code>{error.code}</code>
          </span>
          <button type="button" className="button button--small" onClick={() => void reload()}>
            <RefreshCw size={13} aria-hidden />
            Retry
          </button>
        </div>
      )}

      <div className="page__content">{content}</div>

      <div className="toast-region" aria-live="polite">
        {notice && (
          <div
            className={`toast${notice.details.length > 0 ? " toast--details" : ""}`}
            key={notice.id}
            data-testid="notice"
          >
            <CircleCheck size={15} className="toast__icon" aria-hidden />
            <div className="toast__body">
              <p>{notice.text}</p>
              {notice.details.length > 0 && (
                <ul className="toast__details" data-testid="notice-details">
                  {notice.details.map((d, i) => (
                    <li key={i}>
                      <Info size={13} aria-hidden />
                      <span>{d}</span>
                    </li>
                  ))}
                </ul>
              )}
            </div>
            {notice.details.length > 0 && (
              <button
                type="button"
                className="icon-button icon-button--small"
                aria-label="Dismiss"
                onClick={() => setNotice(null)}
              >
                <X size={14} aria-hidden />
              </button>
            )}
          </div>
        )}
      </div>

      {adding && (
        <AddDestinationDialog
          onClose={() => setAdding(false)}
          onAdded={(d, notices) => {
            setAdding(false);
            setHighlightId(d.id);
            announce(`Added “${d.name}”`, notices);
            void reload();
          }}
        />
      )}
      {editing && (
        <AddDestinationDialog
          editing={editing}
          onClose={() => setEditing(null)}
          onAdded={(d, notices) => {
            setEditing(null);
            setHighlightId(d.id);
            announce(`Saved “${d.name}”`, notices);
            void reload();
          }}
        />
      )}
      {testing && (
        <TestDestinationDialog destination={testing} onClose={() => setTesting(null)} />
      )}
      {removing && (
        <RemoveDestinationDialog
          destination={removing}
          onClose={() => setRemoving(null)}
          onRemoved={(d) => {
            setRemoving(null);
            announce(`Removed “${d.name}”`);
            void reload();
          }}
        />
      )}
    </div>
  );
}
