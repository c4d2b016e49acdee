import { CalendarClock, Database, FolderSearch, History, Settings } from "lucide-react";
import type { AppOverview } from "../bindings";
import { EmptyState } from "../components/EmptyState";
import { PageHeader } from "../components/PageHeader";

const LATER = "Coming in a later version of DBackup.";

export function SourcesScreen() {
  return (
    <div className="page">
      <PageHeader title="Sources" subtitle="What gets backed up" />
      <div className="page__content">
        <EmptyState icon={Database} title="No sources yet" note={LATER} testId="empty-sources">
          A source is what DBackup backs up: a database such as PostgreSQL, MySQL or SQLite, or a
          folder on this computer.
        </EmptyState>
      </div>
    </div>
  );
}

export function JobsScreen() {
  return (
    <div className="page">
      <PageHeader title="Jobs" subtitle="Scheduled backups" />
      <div className="page__content">
        <EmptyState icon={CalendarClock} title="No jobs yet" note={LATER} testId="empty-jobs">
          A job backs up one source to a destination on a schedule, compressed and encrypted.
        </EmptyState>
      </div>
    </div>
  );
}

export function RunsScreen() {
  return (
    <div className="page">
      <PageHeader title="Runs" subtitle="Backup history" />
      <div className="page__content">
        <EmptyState icon={History} title="No runs yet" note={LATER} testId="empty-runs">
          Each time a job runs, its outcome, duration and size are recorded here.
        </EmptyState>
      </div>
    </div>
  );
}

export function ExplorerScreen() {
  return (
    <div className="page">
      <PageHeader title="Storage Explorer" subtitle="Browse and restore stored backups" />
      <div className="page__content">
        <EmptyState
          icon={FolderSearch}
          title="Nothing to browse yet"
          note={LATER}
          testId="empty-explorer"
        >
          The Storage Explorer lists the backups kept in each destination so you can inspect and
          restore them.
        </EmptyState>
      </div>
    </div>
  );
}

export function SettingsScreen({ overview }: { overview: AppOverview | null }) {
  const paths: [string, string][] = overview
    ? [
        ["Data folder", overview.dataDir],
        ["Database", overview.databasePath],
        ["Logs", overview.logDir],
      ]
    : [];
  return (
    <div className="page">
      <PageHeader title="Settings" subtitle="Preferences and app information" />
      <div className="page__content page__content--stack">
        <EmptyState icon={Settings} title="No settings yet" note={LATER} testId="empty-settings">
          Preferences such as theme, notifications and starting at login will be set here.
        </EmptyState>
        {overview && (
          <section className="card" aria-labelledby="about-title" data-testid="about-card">
            <h2 className="card__title" id="about-title">
              About this installation
            </h2>
            <dl className="props">
              <div className="props__row">
                <dt>Version</dt>
                <dd>{overview.version}</dd>
              </div>
              {paths.map(([label, value]) => (
                <div className="props__row" key={label}>
                  <dt>{label}</dt>
                  <dd>
                    <code className="inline-path" title={value}>
                      {value}
                    </code>
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        )}
      </div>
    </div>
  );
}
