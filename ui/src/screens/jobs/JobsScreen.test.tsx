import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { callsOf, installBackend, job, run } from "../../test/backend";
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
