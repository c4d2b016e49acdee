import { useEffect, useState } from "react";
import { CircleAlert, CircleCheck } from "lucide-react";
import { commands, type AppOverview, type AppSettings, type Theme } from "../../bindings";
import { ErrorPanel } from "../../components/ErrorPanel";
import { FormSection, SelectField, TextField, Toggle } from "../../components/Form";
import { Loading } from "../../components/Loading";
import { PageHeader } from "../../components/PageHeader";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { applyTheme } from "../../lib/theme";
import { useLoad } from "../../lib/useLoad";
import { ConfigCard } from "./ConfigCard";
import { KeysCard } from "./KeysCard";

const THEMES: { value: Theme; label: string }[] = [
  { value: "system", label: "Same as the desktop" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

function AboutCard({ overview }: { overview: AppOverview }) {
  const paths: [string, string][] = [
    ["Data folder", overview.dataDir],
    ["Database", overview.databasePath],
    ["Logs", overview.logDir],
  ];
  return (
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
  );
}

/** Each change is saved at once; the engine's answer is what is shown. */
export function SettingsScreen({ overview }: { overview: AppOverview | null }) {
  const loaded = useLoad(() => call(() => commands.getSettings()));
  const [settings, setSettings] = useState<AppSettings | null>(null);
  const [days, setDays] = useState("");
  const [status, setStatus] = useState<{ saved: boolean; error: IpcFailure | null } | null>(null);

  useEffect(() => {
    if (loaded.data) {
      setSettings(loaded.data);
      setDays(String(loaded.data.historyDays));
      // After an import the stored theme may differ from the one showing.
      applyTheme(loaded.data.theme);
    }
  }, [loaded.data]);

  async function save(next: AppSettings) {
    const previous = settings;
    setSettings(next);
    applyTheme(next.theme);
    try {
      const saved = await call(() => commands.saveSettings(next));
      setSettings(saved);
      setDays(String(saved.historyDays));
      setStatus({ saved: true, error: null });
    } catch (e) {
      setSettings(previous);
      if (previous) applyTheme(previous.theme);
      setStatus({ saved: false, error: asFailure(e) });
    }
  }

  let content: React.ReactNode;
  if (!settings && loaded.loading) content = <Loading>Loading settings…</Loading>;
  else if (!settings && loaded.error)
    content = <ErrorPanel title="Settings could not be loaded" error={loaded.error} onRetry={() => void loaded.reload()} />;
  else if (settings) {
    const daysValid = /^\d+$/.test(days.trim()) && Number(days) >= 1;
    content = (
      <section className="card settings" aria-label="Preferences" data-testid="settings">
        <FormSection id="settings-look" title="Appearance">
          <SelectField
            id="settings-theme"
            label="Theme"
            value={settings.theme}
            options={THEMES}
            onChange={(theme) => void save({ ...settings, theme })}
            testId="settings-theme"
          />
        </FormSection>
        <FormSection id="settings-background" title="Running in the background">
          <Toggle
            id="settings-close-to-tray"
            label="Keep running in the tray when the window is closed"
            checked={settings.closeToTray}
            onChange={(closeToTray) => void save({ ...settings, closeToTray })}
            hint="Scheduled backups run only while DBackup runs. Quit from the tray icon's menu."
            testId="settings-close-to-tray"
          />
          <Toggle
            id="settings-autostart"
            label="Start DBackup when I log in"
            checked={settings.startAtLogin}
            onChange={(startAtLogin) => void save({ ...settings, startAtLogin })}
            hint="It starts in the tray, without opening the window."
            testId="settings-autostart"
          />
        </FormSection>
        <FormSection id="settings-notify" title="Notifications and history">
          <Toggle
            id="settings-notify-success"
            label="New jobs notify when a backup succeeds"
            checked={settings.notifySuccessByDefault}
            onChange={(notifySuccessByDefault) => void save({ ...settings, notifySuccessByDefault })}
            hint="Failures always notify, once per failure streak, unless a job turns it off."
            testId="settings-notify-success"
          />
          <Toggle
            id="settings-notify-retention"
            label="Notify when retention deletes old backups"
            checked={settings.notifyRetention}
            onChange={(notifyRetention) => void save({ ...settings, notifyRetention })}
            hint="After a run whose retention deleted backups: how many, and where."
            testId="settings-notify-retention"
          />
          <TextField
            id="settings-history-days"
            label="Keep run history for (days)"
            value={days}
            onChange={(v) => {
              setDays(v);
              if (/^\d+$/.test(v.trim()) && Number(v) >= 1)
                void save({ ...settings, historyDays: Number(v) });
            }}
            error={daysValid ? undefined : "Give a number of days, 1 or more."}
            mono
            testId="settings-history-days"
          />
        </FormSection>
        <p className="settings__status" role="status" data-testid="settings-status">
          {status?.saved && (
            <>
              <CircleCheck size={13} aria-hidden /> Saved
            </>
          )}
          {status?.error && (
            <span className="operation__error">
              <CircleAlert size={13} aria-hidden /> {status.error.message}
            </span>
          )}
        </p>
      </section>
    );
  }

  return (
    <div className="page">
      <PageHeader title="Settings" subtitle="Preferences and app information" />
      <div className="page__content page__content--stack">
        {content}
        <KeysCard />
        <ConfigCard onImported={() => void loaded.reload()} />
        {overview && <AboutCard overview={overview} />}
      </div>
    </div>
  );
}
