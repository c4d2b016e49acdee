import { FolderOpen } from "lucide-react";
import logoUrl from "../assets/logo.svg";
import { MAIN_SECTIONS, SETTINGS_SECTION, type Section, type SectionId } from "../lib/sections";
import type { OverviewState } from "../lib/useOverview";

type SidebarProps = {
  active: SectionId;
  onSelect: (id: SectionId) => void;
  overview: OverviewState;
};

function NavItem({
  section,
  active,
  onSelect,
}: {
  section: Section;
  active: boolean;
  onSelect: (id: SectionId) => void;
}) {
  const Icon = section.icon;
  return (
    <li>
      <button
        type="button"
        className={`nav-item${active ? " nav-item--active" : ""}`}
        aria-current={active ? "page" : undefined}
        onClick={() => onSelect(section.id)}
        data-testid={`nav-${section.id}`}
      >
        <Icon size={16} strokeWidth={1.8} aria-hidden className="nav-item__icon" />
        <span>{section.label}</span>
      </button>
    </li>
  );
}

function EngineStatus({ overview }: { overview: OverviewState }) {
  const { overview: data, error, loading } = overview;
  let tone: "ok" | "error" | "pending";
  let label: string;
  if (error) {
    tone = "error";
    label = "Engine unavailable";
  } else if (data) {
    tone = "ok";
    label = "Engine running";
  } else {
    tone = "pending";
    label = loading ? "Connecting…" : "Not connected";
  }
  return (
    <div className="engine-status" data-testid="engine-status" title={error?.message}>
      <span className={`status-dot status-dot--${tone}`} aria-hidden />
      <span>{label}</span>
      {data && <span className="engine-status__version">v{data.version}</span>}
    </div>
  );
}

export function Sidebar({ active, onSelect, overview }: SidebarProps) {
  const dataDir = overview.overview?.dataDir;
  return (
    <aside className="sidebar">
      <div className="sidebar__brand">
        <img src={logoUrl} alt="" width={26} height={26} className="sidebar__logo" />
        <span className="sidebar__name">DBackup</span>
      </div>
      <nav className="sidebar__nav" aria-label="Main">
        <ul className="nav-list">
          {MAIN_SECTIONS.map((s) => (
            <NavItem key={s.id} section={s} active={active === s.id} onSelect={onSelect} />
          ))}
        </ul>
        <ul className="nav-list nav-list--bottom">
          <NavItem section={SETTINGS_SECTION} active={active === "settings"} onSelect={onSelect} />
        </ul>
      </nav>
      <footer className="sidebar__footer" data-testid="sidebar-footer">
        <EngineStatus overview={overview} />
        {dataDir && (
          <div className="sidebar__datadir" title={dataDir} data-testid="data-dir">
            <FolderOpen size={13} aria-hidden />
            <span className="truncate-start">
              <bdi>{dataDir}</bdi>
            </span>
          </div>
        )}
      </footer>
    </aside>
  );
}
