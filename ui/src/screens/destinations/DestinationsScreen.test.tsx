import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "../../App";
import { callsOf, destination, installBackend } from "../../test/backend";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

const EMPTY = "No destinations yet - add one";

async function openAddForm() {
  const user = userEvent.setup();
  await user.click(await screen.findByTestId("add-destination"));
  const dialog = await screen.findByRole("dialog", { name: "Add destination" });
  return { user, dialog };
}

describe("Destinations screen", () => {
  beforeEach(() => {
    document.title = "";
  });

  it("shows the empty state from an overview with no destinations", async () => {
    const backend = installBackend([]);
    render(<App />);

    expect(screen.getByTestId("destinations-loading")).toBeInTheDocument();
    const heading = await screen.findByRole("heading", { name: EMPTY });
    expect(heading).toHaveTextContent(/^No destinations yet - add one$/);
    const empty = screen.getByTestId("empty-destinations");
    expect(within(empty).getByText(/a local folder such as a NAS mount/)).toBeInTheDocument();
    expect(within(empty).getByRole("button", { name: "Add destination" })).toBeInTheDocument();
    expect(screen.queryAllByTestId("destination-row")).toHaveLength(0);
    expect(callsOf(backend, "app_overview")).toHaveLength(1);

    // The sidebar footer shows what the overview reported.
    expect(screen.getByTestId("engine-status")).toHaveTextContent("v0.3.1");
    expect(screen.getByTestId("data-dir")).toHaveAttribute(
      "title",
      "/home/ada/.local/share/dbackup",
    );
  });

  it("lists destinations as table rows", async () => {
    const created = "2024-03-01T09:30:00Z";
    installBackend([
      destination({ id: "a", name: "Office NAS", location: "/mnt/nas/backups", createdAt: created }),
      destination({
        id: "b",
        name: "Offsite bucket",
        kind: "s3",
        location: "s3://acme-backups/db at https://s3.eu-central-1.amazonaws.com",
      }),
    ]);
    render(<App />);

    const rows = await screen.findAllByTestId("destination-row");
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByText("Office NAS")).toBeInTheDocument();
    expect(within(rows[0]!).getByTestId("kind-badge")).toHaveTextContent("Local folder");
    expect(within(rows[0]!).getByText("/mnt/nas/backups")).toBeInTheDocument();
    const time = rows[0]!.querySelector("time")!;
    expect(time).toHaveAttribute("title", created);
    expect(time).toHaveAttribute("dateTime", created);
    expect(time.textContent).toMatch(/ago|last|yesterday/);
    expect(within(rows[1]!).getByTestId("kind-badge")).toHaveTextContent("S3");
    expect(screen.queryByText(EMPTY)).not.toBeInTheDocument();
    expect(screen.getByText(/2 destinations/)).toBeInTheDocument();
  });

  it("shows an error panel when the engine cannot be reached, and retries", async () => {
    const backend = installBackend([destination({ name: "Office NAS" })]);
    backend.failNext.app_overview = new TypeError(
      "Cannot read properties of undefined (reading 'invoke')",
    );
    render(<App />);

    const panel = await screen.findByTestId("destinations-error");
    expect(panel).toHaveTextContent("Could not reach the DBackup engine");
    expect(panel).toHaveTextContent("unreachable");
    expect(screen.getByTestId("engine-status")).toHaveTextContent("Engine unavailable");

    await userEvent.click(within(panel).getByRole("button", { name: "Retry" }));
    expect(await screen.findAllByTestId("destination-row")).toHaveLength(1);
    expect(screen.queryByTestId("destinations-error")).not.toBeInTheDocument();
  });

  it("shows the engine's error code and message from a failed overview", async () => {
    const backend = installBackend([]);
    backend.failNext.app_overview = { code: "store", message: "The database is locked.", field: null };
    render(<App />);

    const panel = await screen.findByTestId("destinations-error");
    expect(panel).toHaveTextContent("The database is locked.");
    expect(within(panel).getByText("store")).toBeInTheDocument();
  });

  it("blocks submission while fields are invalid", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm();

    const name = within(dialog).getByLabelText("Name");
    const path = within(dialog).getByLabelText("Folder path");
    expect(name).toHaveFocus();

    await user.click(within(dialog).getByRole("button", { name: "Add destination" }));
    expect(within(dialog).getByText("Enter a name.")).toBeInTheDocument();
    expect(within(dialog).getByText("Enter the folder path.")).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveAccessibleDescription(expect.stringContaining("Enter a name."));

    await user.type(name, "x".repeat(65));
    await user.type(path, "backups/db");
    await user.click(within(dialog).getByRole("button", { name: "Add destination" }));
    expect(within(dialog).getByText("Use at most 64 characters.")).toBeInTheDocument();
    expect(path).toHaveAccessibleDescription(expect.stringContaining("Use an absolute path"));

    // A valid path alone is not enough: the over-long name still blocks submission.
    await user.clear(path);
    await user.type(path, "/mnt/nas/db");
    expect(path).not.toHaveAttribute("aria-invalid");
    await user.click(within(dialog).getByRole("button", { name: "Add destination" }));
    expect(within(dialog).getByText("Use at most 64 characters.")).toBeInTheDocument();
    expect(name).toHaveFocus();

    expect(callsOf(backend, "add_local_destination")).toHaveLength(0);
    expect(screen.getByRole("dialog")).toBeInTheDocument();
  });

  it("adds a destination and shows it in the list", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm();

    await user.type(within(dialog).getByLabelText("Name"), "  Office NAS ");
    await user.type(within(dialog).getByLabelText("Folder path"), "C:\\Backups");
    await user.click(within(dialog).getByRole("button", { name: "Add destination" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(callsOf(backend, "add_local_destination")).toEqual([
      { cmd: "add_local_destination", args: { input: { name: "Office NAS", path: "C:\\Backups" } } },
    ]);
    const rows = await screen.findAllByTestId("destination-row");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("Office NAS");
  });

  it("shows a conflict next to the Name field", async () => {
    const backend = installBackend([]);
    backend.failNext.add_local_destination = {
      code: "conflict",
      message: "A destination named “Office NAS” already exists.",
      field: "name",
    };
    render(<App />);
    const { user, dialog } = await openAddForm();

    const name = within(dialog).getByLabelText("Name");
    await user.type(name, "Office NAS");
    await user.type(within(dialog).getByLabelText("Folder path"), "/mnt/nas");
    await user.click(within(dialog).getByRole("button", { name: "Add destination" }));

    await waitFor(() =>
      expect(name).toHaveAccessibleDescription(
        expect.stringContaining("A destination named “Office NAS” already exists."),
      ),
    );
    expect(name).toHaveAttribute("aria-invalid", "true");
    expect(name).toHaveFocus();
    expect(within(dialog).getByLabelText("Folder path")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByTestId("form-error")).not.toBeInTheDocument();
    expect(screen.getByRole("dialog")).toBeInTheDocument();

    // Editing the name clears the engine's message for it.
    await user.type(name, " 2");
    expect(within(dialog).queryByText(/already exists/)).not.toBeInTheDocument();
  });

  it("shows invalid_input next to the path and other errors at form level", async () => {
    const backend = installBackend([]);
    backend.failNext.add_local_destination = {
      code: "invalid_input",
      message: "/mnt/nas does not exist; create it, or mount the share first",
      field: "path",
    };
    render(<App />);
    const { user, dialog } = await openAddForm();
    const path = within(dialog).getByLabelText("Folder path");
    await user.type(within(dialog).getByLabelText("Name"), "NAS");
    await user.type(path, "/mnt/nas");
    const submit = within(dialog).getByRole("button", { name: "Add destination" });
    await user.click(submit);
    await waitFor(() =>
      expect(path).toHaveAccessibleDescription(
        expect.stringContaining("/mnt/nas does not exist; create it, or mount the share first"),
      ),
    );

    backend.failNext.add_local_destination = { code: "store", message: "Disk full.", field: null };
    await user.click(submit);
    const formError = await screen.findByTestId("form-error");
    expect(formError).toHaveTextContent("Disk full.");
    expect(formError).toHaveTextContent("store");
    expect(path).not.toHaveAttribute("aria-invalid");
  });

  it("puts an engine error about the name next to the Name field, as a sentence", async () => {
    const backend = installBackend([]);
    backend.failNext.add_local_destination = {
      code: "invalid_input",
      message: "remove the control characters (tabs, line breaks)",
      field: "name",
    };
    render(<App />);
    const { user, dialog } = await openAddForm();
    const name = within(dialog).getByLabelText("Name");
    await user.type(name, "NAS");
    await user.type(within(dialog).getByLabelText("Folder path"), "/mnt/nas");
    await user.click(within(dialog).getByRole("button", { name: "Add destination" }));
    await waitFor(() =>
      expect(name).toHaveAccessibleDescription(
        expect.stringContaining("Remove the control characters (tabs, line breaks)"),
      ),
    );
    expect(within(dialog).getByLabelText("Folder path")).not.toHaveAttribute("aria-invalid");
  });

  it("closes the form with Escape and returns focus", async () => {
    installBackend([]);
    render(<App />);
    const { user } = await openAddForm();
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("add-destination")).toHaveFocus();
  });

  it("removes a destination after confirmation", async () => {
    const backend = installBackend([
      destination({ id: "a", name: "Office NAS" }),
      destination({ id: "b", name: "USB disk", location: "/media/usb" }),
    ]);
    render(<App />);
    const user = userEvent.setup();
    await screen.findAllByTestId("destination-row");

    await user.click(screen.getByRole("button", { name: "Remove USB disk" }));
    const confirm = await screen.findByRole("alertdialog", { name: "Remove “USB disk”?" });
    expect(confirm).toHaveTextContent("/media/usb");
    expect(within(confirm).getByRole("button", { name: "Cancel" })).toHaveFocus();
    expect(callsOf(backend, "remove_destination")).toHaveLength(0);

    await user.click(within(confirm).getByTestId("confirm-action"));
    await waitFor(() => expect(screen.getAllByTestId("destination-row")).toHaveLength(1));
    expect(callsOf(backend, "remove_destination")).toEqual([
      { cmd: "remove_destination", args: { id: "b" } },
    ]);
    expect(screen.getByTestId("destination-row")).toHaveTextContent("Office NAS");
  });
});
