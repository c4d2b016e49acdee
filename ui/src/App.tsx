import { useState } from "react";
import { Sidebar } from "./components/Sidebar";
import type { SectionId } from "./lib/sections";
import { useOverview } from "./lib/useOverview";
import { DestinationsScreen } from "./screens/destinations/DestinationsScreen";
import { ExplorerScreen } from "./screens/explorer/ExplorerScreen";
import { JobsScreen } from "./screens/jobs/JobsScreen";
import { SettingsScreen, SourcesScreen } from "./screens/PlaceholderScreens";
import { RunsScreen } from "./screens/runs/RunsScreen";

export function App() {
  const [section, setSection] = useState<SectionId>("destinations");
  const overview = useOverview();

  let screen: React.ReactNode;
  switch (section) {
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
      screen = <RunsScreen />;
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
        onSelect={setSection}
        overview={overview}
      />
      <main className="main" key={section}>
        {screen}
      </main>
    </div>
  );
}
