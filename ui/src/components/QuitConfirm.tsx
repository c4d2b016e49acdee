import { useEffect, useState } from "react";
import { listen } from "@tauri-apps/api/event";
import { commands } from "../bindings";
import { call } from "../lib/ipc";
import { ConfirmDialog } from "./ConfirmDialog";

/** The tray's Quit, while a backup runs, asks here first: quitting cancels it. */
export function QuitConfirm() {
  const [asking, setAsking] = useState<string[] | null>(null);

  useEffect(() => {
    let unlisten: (() => void) | null = null;
    let live = true;
    listen("confirm-quit", () => {
      call(() => commands.listJobs()).then(
        (jobs) => setAsking(jobs.filter((j) => j.running).map((j) => j.name)),
        () => setAsking([]),
      );
    }).then(
      (stop) => {
        if (live) unlisten = stop;
        else stop();
      },
      // Outside the app (tests, a browser) there is no tray to ask from.
      () => undefined,
    );
    return () => {
      live = false;
      unlisten?.();
    };
  }, []);

  if (!asking) return null;
  const what = asking.length > 0 ? asking.map((n) => `“${n}”`).join(", ") : "a backup";
  return (
    <ConfirmDialog
      title="Quit while backing up?"
      description={`${what} is running. Quitting cancels it cleanly: nothing half-made is left, and it runs again at its next scheduled time.`}
      confirmLabel="Quit DBackup"
      busyLabel="Quitting…"
      action={() => call(() => commands.quitApp())}
      onClose={() => setAsking(null)}
      onDone={() => setAsking(null)}
      testId="quit-dialog"
    />
  );
}
