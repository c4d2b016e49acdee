import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { callsOf, installBackend, job, run, storedBackup } from "../../test/backend";
import { RunsScreen } from "../runs/RunsScreen";
import { JobsScreen } from "./JobsScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

describe("Jobs screen", () => {
  it("lists a job with its schedule, last run and destinations, and runs it now", async () => {
    const backend = installBackend([]);
    backend.jobs = [
      job({
        lastRun: run({
          status: "failed",
          error: { code: "storage", message: "Office NAS: the folder is not mounted" },
        }),
      }),
    ];
    render(<JobsScreen />);
    const user = userEvent.setup();
    const row = await screen.findByTestId("job-row");
    expect(row).toHaveTextContent("orders");
    expect(row).toHaveTextContent("encrypted with laptop");
    expect(row).toHaveTextContent("daily at 02:30");
    expect(row).toHaveTextContent("Failed");
    expect(row).toHaveTextContent("the folder is not mounted");
    expect(row).toHaveTextContent("Office NAS (keep last 7)");

    await user.click(within(row).getByTestId("run-now"));
    expect(callsOf(backend, "run_job_now")).toEqual([{ cmd: "run_job_now", args: { id: "job-1" } }]);
    // It shows as running, with a way to cancel instead of a second start.
    expect(await within(row).findByText("Cancel")).toBeInTheDocument();
    expect(within(row).queryByTestId("run-now")).not.toBeInTheDocument();
  });

  it("asks what to do with a deleted job's backups: kept by default, or deleted but the locked", async () => {
    const backend = installBackend([]);
    backend.jobs = [job(), job({ id: "job-2", name: "files" })];
    backend.backups = [
      storedBackup({ object: "orders/1.dbk" }),
      storedBackup({ object: "orders/2.dbk", locked: true }),
      storedBackup({ object: "files/1.dbk", jobId: "job-2", jobName: "files" }),
    ];
    render(<JobsScreen />);
    const user = userEvent.setup();
    const rows = await screen.findAllByTestId("job-row");
    const files = rows.find((r) => r.textContent?.includes("files"))!;
    await user.click(within(files).getByTestId("delete-job"));
    let dialog = await screen.findByRole("alertdialog", { name: "Delete “files”?" });
    expect(within(dialog).getByTestId("keep-job-backups")).toBeChecked();
    await user.click(within(dialog).getByTestId("confirm-action"));
    expect(await screen.findByTestId("job-removed")).toHaveTextContent(
      "Deleted “files”; its backups are kept in the Storage Explorer.",
    );
    expect(backend.backups).toHaveLength(3);

    await user.click(within(await screen.findByTestId("job-row")).getByTestId("delete-job"));
    dialog = await screen.findByRole("alertdialog", { name: "Delete “orders”?" });
    await user.click(within(dialog).getByTestId("delete-job-backups"));
    await user.click(within(dialog).getByRole("button", { name: "Delete job and backups" }));
    await waitFor(() =>
      expect(screen.getByTestId("job-removed")).toHaveTextContent(
        "Deleted “orders” and 1 backup(s); 1 locked backup(s) kept.",
      ),
    );
    expect(callsOf(backend, "remove_job").map((c) => c.args)).toEqual([
      { id: "job-2", deleteBackups: false },
      { id: "job-1", deleteBackups: true },
    ]);
    expect(backend.backups.map((b) => b.object)).toEqual(["orders/2.dbk", "files/1.dbk"]);
  });

  it("pauses one job or every schedule, and says so", async () => {
    const backend = installBackend([]);
    backend.jobs = [job()];
    render(<JobsScreen />);
    const user = userEvent.setup();
    const row = await screen.findByTestId("job-row");
    await user.click(within(row).getByTestId("toggle-pause"));
    expect(callsOf(backend, "set_job_paused")[0]?.args).toEqual({ id: "job-1", paused: true });
    expect(await within(row).findByText("Resume")).toBeInTheDocument();
    await user.click(screen.getByTestId("pause-all"));
    expect(await screen.findByTestId("schedules-paused")).toBeInTheDocument();
  });

  it("warns about jobs that do not encrypt", async () => {
    const backend = installBackend([]);
    backend.jobs = [job({ keyProfileId: null, keyProfileName: null })];
    render(<JobsScreen />);
    expect(await screen.findByTestId("job-row")).toHaveTextContent("NOT encrypted");
  });
});

describe("Runs screen", () => {
  it("shows each run's status, trigger, size and the reason of a failure", async () => {
    const backend = installBackend([]);
    backend.runs = [
      run({ id: "r2", status: "failed", trigger: "catch_up", bytesOut: 0, ratio: null,
        error: { code: "source", message: "shop: password authentication failed" } }),
      run({ id: "r1" }),
    ];
    render(<RunsScreen />);
    const rows = await screen.findAllByTestId("run-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Failed");
    expect(rows[0]).toHaveTextContent("Catch-up");
    expect(rows[0]).toHaveTextContent("password authentication failed");
    expect(rows[1]).toHaveTextContent("Success");
    expect(rows[1]).toHaveTextContent("2.5 MB");
    expect(rows[1]).toHaveTextContent("10 s");
  });
});
