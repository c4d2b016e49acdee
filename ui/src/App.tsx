import { useEffect, useRef, useState } from "react";
import { listen } from "@tauri-apps/api/event";
import { commands } from "./bindings";
import { QuitConfirm } from "./components/QuitConfirm";
import { Sidebar } from "./components/Sidebar";
import { call } from "./lib/ipc";
import type { SectionId } from "./lib/sections";
import { applyTheme } from "./lib/theme";
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

  // A click on a run's notification opens it here.
  const [openedRun, setOpenedRun] = useState<string | null>(null);
  useEffect(() => {
    let stop: (() => void) | null = null;
    let live = true;
    listen<string>("open-run", (event) => {
      chosen.current = true;
      setOpenedRun(event.payload);
      setSection("runs");
    }).then(
      (unlisten) => {
        if (live) stop = unlisten;
        else unlisten();
      },
      // Outside the app (tests, a browser) there are no notifications to click.
      () => undefined,
    );
    return () => {
      live = false;
      stop?.();
    };
  }, []);

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
      screen = <ExplorerScreen />;
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
