import { useEffect, useRef } from "react";
import { listen } from "@tauri-apps/api/event";

/** Calls `handle` for each event `name` the app emits (e.g. a notification's click). */
export function useAppEvent<T>(name: string, handle: (payload: T) => void) {
  const latest = useRef(handle);
  latest.current = handle;
  useEffect(() => {
    let stop: (() => void) | null = null;
    let live = true;
    listen<T>(name, (event) => latest.current(event.payload)).then(
      (unlisten) => {
        if (live) stop = unlisten;
        else unlisten();
      },
      // Outside the app (tests, a browser) no events come.
      () => undefined,
    );
    return () => {
      live = false;
      stop?.();
    };
  }, [name]);
}
