import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import type { BackupView } from "../../bindings";
import { callsOf, destination, installBackend, storedBackup } from "../../test/backend";
import { ExplorerScreen } from "./ExplorerScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

function backup(object: string, locked = false): BackupView {
  return storedBackup({ object, locked });
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
      allowUnencrypted: false,
    });
  });

  it("takes the data out of an unencrypted backup only by the user's explicit choice", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [
      storedBackup({ object: "orders/plain.dbk", encryption: "none" }),
      storedBackup({ object: "orders/other.dbk", encryption: "none" }),
    ];
    backend.sources = [
      { id: "s1", name: "shop", kind: "postgres", location: "db:5432", passwordStored: true } as never,
    ];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    const rows = await screen.findAllByTestId("backup-row");
    const row = (object: string) => rows.find((r) => r.dataset.object === object)!;

    await user.click(within(row("orders/plain.dbk")).getByTestId("download"));
    let dialog = await screen.findByRole("dialog", { name: "Download backup" });
    expect(within(dialog).getByTestId("download-allow-unencrypted-warning")).toHaveTextContent("not encrypted");
    expect(within(dialog).getByTestId("start-download")).toBeDisabled();
    // The stored bytes are only bytes: no choice needed for them.
    await user.click(within(dialog).getByTestId("download-stored"));
    expect(within(dialog).getByTestId("start-download")).toBeEnabled();
    await user.click(within(dialog).getByTestId("download-decrypted"));
    await user.click(within(dialog).getByTestId("download-allow-unencrypted"));
    await user.click(within(dialog).getByTestId("start-download"));
    expect(callsOf(backend, "start_download")[0]?.args).toMatchObject({ decrypt: true, allowUnencrypted: true });
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());

    await user.click(within(row("orders/other.dbk")).getByTestId("restore"));
    dialog = await screen.findByRole("dialog", { name: "Restore backup" });
    const restore = await within(dialog).findByTestId("start-restore");
    expect(restore).toBeDisabled();
    await user.click(within(dialog).getByTestId("restore-allow-unencrypted"));
    await user.click(restore);
    expect(callsOf(backend, "start_restore")[0]?.args).toMatchObject({
      request: { sourceId: "s1", allowUnencrypted: true },
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
    // Folders by prefix: each with its count; a folder holds its own backups only here.
    const folder = screen.getByTestId("explorer-folder");
    expect([...folder.querySelectorAll("option")].map((o) => o.textContent)).toEqual([
      "All folders (3)",
      "files/ (1)",
      "orders/ (2)",
    ]);
    await user.selectOptions(folder, "files/");
    expect(objects()).toEqual(["files/docs.dbk"]);
    await user.selectOptions(folder, "");
    await user.type(screen.getByTestId("explorer-search"), "orders big");
    expect(objects()).toEqual(["orders/big.dbk"]);
    await user.clear(screen.getByTestId("explorer-search"));
    await user.type(screen.getByTestId("explorer-search"), "nothing");
    expect(screen.getByTestId("no-matches")).toBeInTheDocument();
  });

  it("restores a backup from Glacier before it can be read, then reads it", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [
      {
        ...backup("orders/cold.dbk"),
        storageClass: "DEEP_ARCHIVE",
        glacier: { state: "archived", tier: null, requestedAt: null, readyUntil: null },
      },
    ];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    const row = await screen.findByTestId("backup-row");
    expect(within(row).getByTestId("storage-class")).toHaveTextContent("Glacier Deep Archive");
    expect(row).toHaveTextContent("needs restore to read");
    // Nothing reads it before a restore.
    expect(within(row).getByTestId("verify")).toBeDisabled();
    expect(within(row).getByTestId("download")).toBeDisabled();
    expect(within(row).queryByTestId("restore")).not.toBeInTheDocument();

    await user.click(within(row).getByTestId("glacier-restore"));
    const dialog = await screen.findByRole("dialog", { name: "Restore from Glacier" });
    // Deep Archive has no Expedited tier.
    expect(within(dialog).queryByTestId("glacier-tier-expedited")).not.toBeInTheDocument();
    await user.click(within(dialog).getByTestId("glacier-tier-bulk"));
    await user.clear(within(dialog).getByTestId("glacier-days"));
    await user.type(within(dialog).getByTestId("glacier-days"), "0");
    await user.click(within(dialog).getByTestId("request-glacier-restore"));
    expect(within(dialog).getByText("Give a number of days from 1 to 365.")).toBeInTheDocument();
    expect(callsOf(backend, "request_glacier_restore")).toHaveLength(0);
    await user.clear(within(dialog).getByTestId("glacier-days"));
    await user.type(within(dialog).getByTestId("glacier-days"), "3");
    await user.click(within(dialog).getByTestId("request-glacier-restore"));
    expect(callsOf(backend, "request_glacier_restore")[0]?.args).toEqual({
      destinationId: "d1",
      object: "orders/cold.dbk",
      tier: "bulk",
      days: 3,
    });
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(await screen.findByRole("status")).toHaveTextContent("asked S3 to restore");
    expect(within(screen.getByTestId("backup-row")).getByTestId("glacier-restore")).toBeDisabled();

    // Checking finds it ready: it reads like any other backup.
    await user.click(screen.getByTestId("check-glacier"));
    await waitFor(() =>
      expect(within(screen.getByTestId("backup-row")).getByTestId("verify")).toBeEnabled(),
    );
    expect(screen.getByTestId("backup-row")).toHaveTextContent("restored until");
    expect(within(screen.getByTestId("backup-row")).getByTestId("restore")).toBeEnabled();
  });

  it("selects backups and verifies, locks and deletes them together, skipping what cannot be", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [
      backup("orders/a.dbk"),
      backup("orders/b.dbk", true),
      {
        ...backup("orders/cold.dbk"),
        storageClass: "GLACIER",
        glacier: { state: "archived", tier: null, requestedAt: null, readyUntil: null },
      },
    ];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    await screen.findAllByTestId("backup-row");
    expect(screen.queryByTestId("bulk-bar")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("select-all"));
    expect(screen.getByTestId("bulk-bar")).toHaveTextContent("3 selected");

    // Verify: the one in Glacier is skipped, with why.
    await user.click(screen.getByTestId("bulk-verify"));
    await waitFor(() => expect(callsOf(backend, "start_verify")).toHaveLength(2));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "2 verifying; 1 skipped (cold.dbk: in Glacier; restore it from Glacier first)",
    );
    await waitFor(() => expect(screen.getByTestId("bulk-verify")).toBeEnabled());

    // Lock: the locked one is left as it is.
    await user.click(screen.getByTestId("bulk-lock"));
    await waitFor(() => expect(callsOf(backend, "set_backup_locked")).toHaveLength(2));
    expect(backend.backups.every((b) => b.locked)).toBe(true);
    await waitFor(() => expect(screen.getByTestId("bulk-unlock")).toBeEnabled());
    await user.click(screen.getByTestId("bulk-unlock"));
    await waitFor(() => expect(callsOf(backend, "set_backup_locked")).toHaveLength(5));

    // Delete after asking; one row is unselected first, one locked again.
    const rows = screen.getAllByTestId("backup-row");
    const row = (object: string) => rows.find((r) => r.dataset.object === object)!;
    await user.click(within(row("orders/a.dbk")).getByTestId("select-backup"));
    expect(screen.getByTestId("select-all")).toHaveProperty("indeterminate", true);
    await user.click(within(row("orders/b.dbk")).getByTestId("lock"));
    await waitFor(() => expect(within(row("orders/b.dbk")).getByTestId("unlock")).toBeInTheDocument());
    await user.click(screen.getByTestId("bulk-delete"));
    const confirm = await screen.findByRole("alertdialog", { name: "Delete 2 backup(s)?" });
    await user.click(within(confirm).getByTestId("confirm-action"));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    expect(callsOf(backend, "delete_backup").map((c) => (c.args as { object: string }).object)).toEqual([
      "orders/cold.dbk",
    ]);
    expect(screen.getByRole("status")).toHaveTextContent("1 deleted; 1 skipped (b.dbk: locked; unlock it first)");
    expect(screen.getAllByTestId("backup-row")).toHaveLength(2);
    expect(screen.queryByTestId("bulk-bar")).not.toBeInTheDocument();
  });

  it("lists files that are not backups on request, read-only", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    backend.backups = [backup("orders/a.dbk")];
    backend.otherFiles = [
      { key: "notes/stray.dbk", size: 1, modified: "2026-11-20T00:00:00Z", storageClass: "STANDARD" },
      { key: "readme.txt", size: 2048, modified: null, storageClass: null },
    ];
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    await screen.findByTestId("backup-row");
    expect(callsOf(backend, "list_other_files")).toHaveLength(0);
    await user.click(screen.getByTestId("show-other-files"));
    const rows = await screen.findAllByTestId("other-file");
    expect(rows.map((r) => r.firstChild?.textContent)).toEqual(["notes/stray.dbk", "readme.txt"]);
    expect(rows[1]).toHaveTextContent("2.0 KB");
    // Read-only: no action of any kind on them.
    expect(within(screen.getByTestId("other-files-table")).queryAllByRole("button")).toHaveLength(0);
  });

  it("shows each backup's source, server, compression ratio, encryption and last verify", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    const day = 24 * 3600 * 1000;
    backend.backups = [
      storedBackup({ object: "shop/ok.dbk", check: { checkedAt: new Date(Date.now() - 2 * day).toISOString(), problem: null } }),
      storedBackup({
        object: "shop/bad.dbk",
        check: { checkedAt: new Date().toISOString(), problem: "chunk 3 of shop/bad.dbk failed authentication" },
      }),
      storedBackup({ object: "files/plain.dbk", sourceKind: "folder", engine: null, encryption: "none", plainSize: null }),
    ];
    render(<ExplorerScreen />);
    const rows = await screen.findAllByTestId("backup-row");
    const row = (object: string) => rows.find((r) => r.dataset.object === object)!;
    expect(within(row("shop/ok.dbk")).getByTestId("backup-source")).toHaveTextContent("PostgreSQL 15.18");
    expect(within(row("shop/ok.dbk")).getByTestId("backup-ratio")).toHaveTextContent("4.2× smaller");
    expect(within(row("shop/ok.dbk")).getByTestId("integrity")).toHaveTextContent("Verified 2 days ago");
    const damaged = within(row("shop/bad.dbk")).getByTestId("integrity");
    expect(damaged).toHaveTextContent("Damaged");
    expect(damaged).toHaveAttribute("title", expect.stringContaining("chunk 3"));
    const plain = within(row("files/plain.dbk"));
    expect(plain.getByTestId("backup-source")).toHaveTextContent("Folder");
    expect(plain.getByTestId("integrity")).toHaveTextContent("Not verified");
    expect(plain.getByTestId("unencrypted")).toHaveTextContent("Not encrypted");
    expect(plain.queryByTestId("backup-ratio")).not.toBeInTheDocument();
    expect(within(row("shop/ok.dbk")).queryByTestId("unencrypted")).not.toBeInTheDocument();
  });

  it("renders only the rows in view of a long list, and search still reaches every backup", async () => {
    const backend = installBackend([destination({ id: "d1" })]);
    const start = Date.parse("2026-01-01T00:00:00Z");
    backend.backups = Array.from({ length: 5000 }, (_, i) =>
      storedBackup({
        object: `nightly/b-${String(i).padStart(4, "0")}.dbk`,
        createdAt: new Date(start + i * 3600 * 1000).toISOString(),
      }),
    );
    // jsdom lays nothing out: give the scrolling card and the rows the heights a window would.
    const layout = { clientHeight: ["backups-scroll", 720], offsetHeight: ["backup-row", 52] } as const;
    for (const [property, [testId, px]] of Object.entries(layout)) {
      const original = Object.getOwnPropertyDescriptor(HTMLElement.prototype, property);
      Object.defineProperty(HTMLElement.prototype, property, {
        configurable: true,
        get() {
          return (this as HTMLElement).dataset.testid === testId ? px : 0;
        },
      });
      onTestFinished(() => {
        if (original) Object.defineProperty(HTMLElement.prototype, property, original);
      });
    }
    const user = userEvent.setup();
    render(<ExplorerScreen />);
    const scroll = await screen.findByTestId("backups-scroll");
    expect(scroll).toHaveAttribute("data-virtual", "true");
    const rendered = screen.getAllByTestId("backup-row");
    expect(rendered.length).toBeGreaterThan(5);
    expect(rendered.length).toBeLessThan(100);
    // Newest first; the rest is a spacer of the height of the rows not rendered.
    expect(rendered[0]).toHaveAttribute("data-object", "nightly/b-4999.dbk");
    expect(screen.getByTestId("rows-below")).toBeInTheDocument();
    expect(screen.getByTestId("backups-table")).toHaveAttribute("aria-rowcount", "5001");

    // Select-all takes every backup shown, not only the rendered ones.
    await user.click(screen.getByTestId("select-all"));
    expect(await screen.findByText(/5000 selected/)).toBeInTheDocument();

    await user.type(screen.getByTestId("explorer-search"), "b-0042");
    await waitFor(() => expect(screen.getAllByTestId("backup-row")).toHaveLength(1));
    expect(screen.getByTestId("backup-row")).toHaveAttribute("data-object", "nightly/b-0042.dbk");
    expect(screen.getByTestId("backups-scroll")).toHaveAttribute("data-virtual", "false");
  });
});
