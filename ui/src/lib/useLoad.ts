import { useCallback, useEffect, useRef, useState } from "react";
import { asFailure, type IpcFailure } from "./ipc";

export type Loaded<T> = {
  /** The last value that loaded; kept while a reload is in flight or after it fails. */
  data: T | null;
  error: IpcFailure | null;
  loading: boolean;
  reload: () => Promise<void>;
};

/**
 * Loads `load()` on mount and on `reload()`; with `pollMs`, again every `pollMs` while the
 * screen is shown (for lists that change on their own, like runs in progress). Only the
 * latest request may write its result, so a slow older one cannot win.
 */
export function useLoad<T>(load: () => Promise<T>, pollMs: number | null = null): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: IpcFailure | null; loading: boolean }>(
    { data: null, error: null, loading: true },
  );
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const request = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await loadRef.current();
      if (request === latest.current) setState({ data, error: null, loading: false });
    } catch (e) {
      if (request === latest.current)
        setState((s) => ({ data: s.data, error: asFailure(e), loading: false }));
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  useEffect(() => {
    if (pollMs === null) return;
    const timer = window.setInterval(() => void reload(), pollMs);
    return () => window.clearInterval(timer);
  }, [pollMs, reload]);

  return { ...state, reload };
}
