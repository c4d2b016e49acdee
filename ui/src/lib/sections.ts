import {
  CalendarClock,
  Database,
  FolderSearch,
  HardDrive,
  History,
  LayoutDashboard,
  Settings,
  type LucideIcon,
} from "lucide-react";

export type SectionId = "dashboard" | "destinations" | "sources" | "jobs" | "runs" | "explorer" | "settings";

export type Section = { id: SectionId; label: string; icon: LucideIcon };

export const MAIN_SECTIONS: Section[] = [
  { id: "dashboard", label: "Dashboard", icon: LayoutDashboard },
  { id: "destinations", label: "Destinations", icon: HardDrive },
  { id: "sources", label: "Sources", icon: Database },
  { id: "jobs", label: "Jobs", icon: CalendarClock },
  { id: "runs", label: "Runs", icon: History },
  { id: "explorer", label: "Storage Explorer", icon: FolderSearch },
];

export const SETTINGS_SECTION: Section = { id: "settings", label: "Settings", icon: Settings };
