import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { BackupView } from "../../bindings";
import { callsOf, destination, installBackend } from "../../test/backend";
import { ExplorerScreen } from "./ExplorerScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

function backup(object: string, locked = false): BackupView {
  return {
    destinationId: "d1",
    object,
    jobId: "job-1",
    jobName: "orders",
    createdAt: new Date().toISOString(),
    storedSize: 1234,
    locked,
    objectLockUntil: null,
    objectLockMode: null,
    trigger: "manual",
    database: "shop",
  };
}

describe("Storage Explorer", () => {
  it("verifies a backup in the background and shows its progress", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [backup("orders/a.dbk")];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    const row = await screen.findByTestId("backup-row");
    await user.click(within(row).getByTestId("verify"));
    expect(callsOf(backend, "start_verify")[0]?.args).toEqual({ destinationId: "d1", object: "orders/a.dbk" });
    const op = await screen.findByTestId("operation");
    expect(op).toHaveAttribute("data-state", "running");
    expect(op).toHaveTextContent("Verifying a.dbk");
    // One operation per backup at a time.
    expect(within(row).getByTestId("verify")).toBeDisabled();
    await user.click(within(op).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByTestId("operation")).not.toBeInTheDocument());
  });

  it("downloads the decrypted data to a path the user gives", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [backup("orders/a.sql.dbk")];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    await user.click(within(await screen.findByTestId("backup-row")).getByTestId("download"));
    const dialog = await screen.findByRole("dialog", { name: "Download backup" });
    expect(within(dialog).getByTestId("download-path")).toHaveValue("~/Downloads/a.sql");
    await user.click(within(dialog).getByTestId("download-stored"));
    expect(within(dialog).getByTestId("download-path")).toHaveValue("~/Downloads/a.sql.dbk");
    await user.click(within(dialog).getByTestId("download-decrypted"));
    await user.click(within(dialog).getByTestId("start-download"));
    expect(callsOf(backend, "start_download")[0]?.args).toEqual({
      destinationId: "d1",
      object: "orders/a.sql.dbk",
      path: "~/Downloads/a.sql",
      decrypt: true,
    });
  });

  it("deletes an unlocked backup after asking, and cannot delete a locked one", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [backup("orders/keep.dbk", true), backup("orders/old.dbk")];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    const rows = await screen.findAllByTestId("backup-row");
    const row = (object: string) => rows.find((r) => r.dataset.object === object)!;
    expect(within(row("orders/keep.dbk")).getByTestId("delete-backup")).toBeDisabled();
    await user.click(within(row("orders/old.dbk")).getByTestId("delete-backup"));
    const confirm = await screen.findByRole("alertdialog", { name: "Delete this backup?" });
    await user.click(within(confirm).getByTestId("confirm-action"));
    await waitFor(() => expect(screen.getAllByTestId("backup-row")).toHaveLength(1));
    expect(callsOf(backend, "delete_backup")).toEqual([
      { cmd: "delete_backup", args: { destinationId: "d1", object: "orders/old.dbk" } },
    ]);
  });

  it("filters by any word and sorts by a column", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [
      { ...backup("orders/small.dbk"), storedSize: 10, createdAt: "2026-11-01T00:00:00Z" },
      { ...backup("orders/big.dbk"), storedSize: 5000, createdAt: "2026-11-02T00:00:00Z" },
      { ...backup("files/docs.dbk"), jobName: "files", database: null, storedSize: 100, createdAt: "2026-11-03T00:00:00Z" },
    ];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    const objects = () => screen.getAllByTestId("backup-row").map((r) => r.dataset.object);
    await screen.findAllByTestId("backup-row");
    expect(objects()).toEqual(["files/docs.dbk", "orders/big.dbk", "orders/small.dbk"]);
    await user.click(screen.getByTestId("sort-storedSize"));
    expect(objects()).toEqual(["orders/big.dbk", "files/docs.dbk", "orders/small.dbk"]);
    await user.click(screen.getByTestId("sort-storedSize"));
    expect(objects()).toEqual(["orders/small.dbk", "files/docs.dbk", "orders/big.dbk"]);
    await user.type(screen.getByTestId("explorer-search"), "orders big");
    expect(objects()).toEqual(["orders/big.dbk"]);
    await user.clear(screen.getByTestId("explorer-search"));
    await user.type(screen.getByTestId("explorer-search"), "nothing");
    expect(screen.getByTestId("no-matches")).toBeInTheDocument();
  });
});
