import { useCallback, useRef, useState } from "react";
import { commands, type AppOverview } from "../bindings";
import { asFailure, call, type IpcFailure } from "./ipc";

export type OverviewState = {
  /** The last overview that loaded; kept while a reload is in flight or after it fails. */
  overview: AppOverview | null;
  error: IpcFailure | null;
  loading: boolean;
};

export type Overview = OverviewState & { reload: () => Promise<void> };

/** The app overview from the engine. Nothing is fetched until `reload` is first called. */
export function useOverview(): Overview {
  const [state, setState] = useState<OverviewState>({
    overview: null,
    error: null,
    loading: true,
  });
  // Only the latest request may write its result, so a slow older one cannot win.
  const latest = useRef(0);

  const reload = useCallback(async () => {
    const request = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const overview = await call(() => commands.appOverview());
      if (request === latest.current) setState({ overview, error: null, loading: false });
    } catch (e) {
      if (request === latest.current)
        setState((s) => ({ overview: s.overview, error: asFailure(e), loading: false }));
    }
  }, []);

  return { ...state, reload };
}
