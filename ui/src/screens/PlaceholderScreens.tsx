import { Database, Settings } from "lucide-react";
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
