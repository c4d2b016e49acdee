import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { callsOf, destination, installBackend, job, run, storedBackup } from "../../test/backend";
import { DashboardScreen } from "./DashboardScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

describe("Dashboard", () => {
  it("shows what needs attention, each job with Run now, and the storage per destination", async () => {
    const backend = installBackend([destination({ id: "d1", name: "Office NAS" })]);
    backend.jobs = [
      job({ id: "j1", name: "orders", lastRun: run({ status: "failed", error: { code: "source", message: "db down" } }) }),
      job({ id: "j2", name: "files", lastRun: run({ status: "success" }) }),
    ];
    backend.backups = [1, 2].map((n) =>
      storedBackup({
        object: `orders/${n}.dbk`,
        jobId: "j1",
        createdAt: new Date(Date.now() - n * 86400e3).toISOString(),
        storedSize: 1_000_000,
        trigger: "schedule",
        database: null,
      }),
    );
    const user = userEvent.setup();
    render(<DashboardScreen onOpen={() => undefined} />);
    expect(await screen.findByTestId("attention")).toHaveTextContent("orders");
    expect(screen.getByTestId("attention")).toHaveTextContent("db down");
    expect(screen.getByTestId("dashboard-status")).toHaveTextContent("Last backup of orders failed");
    const storage = screen.getByTestId("storage-row");
    expect(storage).toHaveTextContent("2");
    expect(storage).toHaveTextContent("2.0 MB");
    // One line for the one destination with backups, ending at their total.
    const chart = screen.getByTestId("storage-chart");
    expect(chart.querySelectorAll("path")).toHaveLength(1);
    expect(chart).toHaveTextContent("Office NAS: 2.0 MB");

    const files = screen.getAllByTestId("job-card").find((c) => c.dataset.name === "files")!;
    await user.click(within(files).getByTestId("dashboard-run-now"));
    expect(callsOf(backend, "run_job_now")[0]?.args).toEqual({ id: "j2" });
  });

  it("guides a new user to set up a destination first", async () => {
    installBackend([]);
    const onOpen = vi.fn();
    const user = userEvent.setup();
    render(<DashboardScreen onOpen={onOpen} />);
    await user.click(await screen.findByRole("button", { name: "Add a destination" }));
    expect(onOpen).toHaveBeenCalledWith("destinations");
  });
});
