import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { callsOf, destination, installBackend } from "../../test/backend";
import { JobsScreen } from "./JobsScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

function withSourceAndDestinations() {
  const backend = installBackend([
    destination({ id: "d1", name: "Office NAS" }),
    destination({ id: "d2", name: "Offsite S3", kind: "s3", location: "s3://backups/" }),
  ]);
  backend.sources = [
    { id: "s1", name: "Shop", kind: "postgres", location: "postgresql://app@db:5432/shop", createdAt: new Date().toISOString() },
  ];
  return backend;
}

describe("Job form", () => {
  it("creates an encrypted daily job to two destinations with their own retention", async () => {
    const backend = withSourceAndDestinations();
    const user = userEvent.setup();
    render(<JobsScreen />);
    await user.click(await screen.findByTestId("new-job"));
    const dialog = await screen.findByRole("dialog", { name: "New job" });
    const d = within(dialog);
    await d.findByTestId("job-form");

    await user.type(d.getByTestId("job-name"), "Shop nightly");
    // The only source is chosen already.
    expect(d.getByTestId("job-source")).toHaveValue("s1");
    const targets = d.getAllByTestId("job-target");
    await user.click(within(targets[0]!).getByTestId("job-target-check"));
    await user.click(within(targets[1]!).getByTestId("job-target-check"));
    await user.selectOptions(within(targets[1]!).getByTestId("job-retention-mode"), "last");
    await user.clear(within(targets[1]!).getByTestId("job-retention-count"));
    await user.type(within(targets[1]!).getByTestId("job-retention-count"), "30");

    // No key yet: the form offers to make one, and then to save its recovery kit.
    await user.click(d.getByTestId("create-key"));
    const kit = await screen.findByRole("dialog", { name: /Recovery kit/ });
    await user.click(within(kit).getByTestId("save-kit"));
    expect(await within(kit).findByTestId("kit-saved")).toHaveTextContent("recovery kit.txt");
    await user.click(within(kit).getByRole("button", { name: "Done" }));

    // The schedule's next runs come from the engine.
    expect(await d.findByTestId("schedule-preview")).toHaveTextContent("Daily schedule");

    await user.click(d.getByTestId("save-job"));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const input = (callsOf(backend, "create_job")[0]?.args as { input: unknown }).input;
    expect(input).toEqual({
      name: "Shop nightly",
      sourceId: "s1",
      targets: [
        { destinationId: "d1", retention: { mode: "gfs", hourly: 0, daily: 7, weekly: 4, monthly: 12, yearly: 2 } },
        { destinationId: "d2", retention: { mode: "last", count: 30 } },
      ],
      schedule: { kind: "daily", hour: 2, minute: 30 },
      catchUp: "once",
      compression: "zstd",
      level: 3,
      keyProfileId: backend.keys[0]!.id,
      notifyOnFailure: true,
      notifyOnSuccess: false,
      enabled: true,
    });
    expect(await screen.findByTestId("job-row")).toHaveTextContent("Shop nightly");
  });

  it("refuses a job without a destination, and a cron expression the engine rejects", async () => {
    const backend = withSourceAndDestinations();
    backend.keys = [{ id: "k1", name: "laptop", keyId: "0badf00d", createdAt: "", exported: true }];
    const user = userEvent.setup();
    render(<JobsScreen />);
    await user.click(await screen.findByTestId("new-job"));
    const d = within(await screen.findByRole("dialog", { name: "New job" }));
    await d.findByTestId("job-form");
    await user.type(d.getByTestId("job-name"), "x");
    await user.selectOptions(d.getByTestId("job-schedule-kind"), "cron");
    await user.clear(d.getByTestId("job-cron"));
    await user.type(d.getByTestId("job-cron"), "every night");
    expect(await d.findByText(/not a cron expression/i)).toBeInTheDocument();
    await user.click(d.getByTestId("save-job"));
    expect(d.getByText("Choose at least one destination.")).toBeInTheDocument();
    expect(callsOf(backend, "create_job")).toHaveLength(0);
  });

  it("warns when backups would not be encrypted", async () => {
    const backend = withSourceAndDestinations();
    backend.keys = [{ id: "k1", name: "laptop", keyId: "0badf00d", createdAt: "", exported: false }];
    const user = userEvent.setup();
    render(<JobsScreen />);
    await user.click(await screen.findByTestId("new-job"));
    const d = within(await screen.findByRole("dialog", { name: "New job" }));
    expect(await d.findByTestId("kit-not-saved")).toBeInTheDocument();
    await user.selectOptions(d.getByTestId("job-key"), "");
    expect(d.getByTestId("no-encryption-warning")).toHaveTextContent("unencrypted");
  });
});
