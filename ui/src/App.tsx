import { useEffect, useRef, useState } from "react";
import { commands } from "./bindings";
import { QuitConfirm } from "./components/QuitConfirm";
import { Sidebar } from "./components/Sidebar";
import { call } from "./lib/ipc";
import type { SectionId } from "./lib/sections";
import { applyTheme } from "./lib/theme";
import { useAppEvent } from "./lib/useAppEvent";
import { useOverview } from "./lib/useOverview";
import { DashboardScreen } from "./screens/dashboard/DashboardScreen";
import { DestinationsScreen } from "./screens/destinations/DestinationsScreen";
import { ExplorerScreen } from "./screens/explorer/ExplorerScreen";
import { JobsScreen } from "./screens/jobs/JobsScreen";
import { RunsScreen } from "./screens/runs/RunsScreen";
import { SettingsScreen } from "./screens/settings/SettingsScreen";
import { SourcesScreen } from "./screens/sources/SourcesScreen";

export function App() {
  const [section, setSection] = useState<SectionId>("destinations");
  const chosen = useRef(false);
  const overview = useOverview();

  // A new user starts where setup starts; once there are jobs, on the dashboard.
  useEffect(() => {
    call(() => commands.listJobs()).then(
      (jobs) => {
        if (!chosen.current && jobs.length > 0) setSection("dashboard");
      },
      () => undefined,
    );
  }, []);

  function select(next: SectionId) {
    chosen.current = true;
    setSection(next);
  }

  // A click on a run's notification opens it here; on a "restored from Glacier" one,
  // the explorer on that destination.
  const [openedRun, setOpenedRun] = useState<string | null>(null);
  const [openedDestination, setOpenedDestination] = useState<string | null>(null);
  useAppEvent<string>("open-run", (runId) => {
    chosen.current = true;
    setOpenedRun(runId);
    setSection("runs");
  });
  useAppEvent<string>("open-explorer", (destinationId) => {
    chosen.current = true;
    setOpenedDestination(destinationId);
    setSection("explorer");
  });

  useEffect(() => {
    // The default (system) theme needs nothing; a failure here leaves it at that.
    call(() => commands.getSettings()).then((s) => applyTheme(s.theme), () => undefined);
  }, []);

  let screen: React.ReactNode;
  switch (section) {
    case "dashboard":
      screen = <DashboardScreen onOpen={select} />;
      break;
    case "destinations":
      screen = <DestinationsScreen overview={overview} />;
      break;
    case "sources":
      screen = <SourcesScreen />;
      break;
    case "jobs":
      screen = <JobsScreen />;
      break;
    case "runs":
      screen = <RunsScreen highlightRunId={openedRun} />;
      break;
    case "explorer":
      screen = <ExplorerScreen initialDestination={openedDestination} />;
      break;
    case "settings":
      screen = <SettingsScreen overview={overview.overview} />;
      break;
  }

  return (
    <div className="app">
      <Sidebar
        active={section}
        onSelect={select}
        overview={overview}
      />
      <main className="main" key={section}>
        {screen}
      </main>
      <QuitConfirm />
    </div>
  );
}
