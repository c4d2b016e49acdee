import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { callsOf, installBackend } from "../../test/backend";
import { SourcesScreen } from "./SourcesScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

async function openForm() {
  const user = userEvent.setup();
  render(<SourcesScreen />);
  await user.click(await screen.findByTestId("add-source"));
  const dialog = await screen.findByRole("dialog", { name: "Add source" });
  return { user, dialog };
}

describe("Sources screen", () => {
  it("adds a PostgreSQL source after testing it, and never lists its password", async () => {
    const backend = installBackend([]);
    const { user, dialog } = await openForm();
    const d = within(dialog);
    // PostgreSQL is the default, with its usual port and user filled in.
    expect(d.getByTestId("source-port")).toHaveValue("5432");
    expect(d.getByTestId("source-user")).toHaveValue("postgres");
    await user.type(d.getByTestId("source-name"), "Shop");
    await user.clear(d.getByTestId("source-host"));
    await user.type(d.getByTestId("source-host"), "db.internal");
    await user.type(d.getByTestId("source-password"), "s3cret");
    await user.type(d.getByTestId("source-database"), "shop");

    await user.click(d.getByTestId("test-source"));
    expect(await d.findByTestId("source-check-ok")).toHaveTextContent("Connected to PostgreSQL 15.18");
    expect(callsOf(backend, "test_new_source")[0]?.args).toEqual({
      input: {
        name: "Shop",
        password: "s3cret",
        settings: { kind: "postgres", host: "db.internal", port: 5432, user: "postgres", database: "shop", sslMode: "prefer" },
      },
    });

    await user.click(d.getByTestId("submit-source"));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const row = await screen.findByTestId("source-row");
    expect(row).toHaveTextContent("Shop");
    expect(row).toHaveTextContent("PostgreSQL");
    expect(row).not.toHaveTextContent("s3cret");
  });

  it("checks the form before asking the engine, and puts the engine's errors on their field", async () => {
    const backend = installBackend([]);
    const { user, dialog } = await openForm();
    const d = within(dialog);
    await user.clear(d.getByTestId("source-port"));
    await user.type(d.getByTestId("source-port"), "99999");
    await user.click(d.getByTestId("submit-source"));
    expect(d.getByTestId("source-name")).toHaveFocus();
    expect(d.getByTestId("source-name")).toHaveAccessibleDescription(/Enter a name/);
    expect(d.getByTestId("source-port")).toHaveAccessibleDescription(/port from 1 to 65535/);
    expect(callsOf(backend, "add_source")).toHaveLength(0);

    await user.clear(d.getByTestId("source-port"));
    await user.type(d.getByTestId("source-port"), "5432");
    await user.type(d.getByTestId("source-name"), "Shop");
    backend.failNext.add_source = {
      code: "invalid_input",
      message: "the user name has a space; check it",
      field: "user",
    };
    await user.click(d.getByTestId("submit-source"));
    await waitFor(() => expect(d.getByTestId("source-user")).toHaveFocus());
    expect(d.getByTestId("source-user")).toHaveAccessibleDescription(/has a space/);
  });

  it("shows why a test failed, in the engine's words", async () => {
    const backend = installBackend([]);
    const { user, dialog } = await openForm();
    const d = within(dialog);
    backend.failNext.test_new_source = {
      code: "source",
      message: "password authentication failed for user \"postgres\"; check the password",
      field: null,
    };
    await user.click(d.getByTestId("test-source"));
    const failed = await d.findByTestId("source-check-failed");
    expect(failed).toHaveTextContent(/password authentication failed/i);
    expect(failed).toHaveTextContent("source");
  });

  it("adds a folder with patterns to leave out, then removes it after asking", async () => {
    const backend = installBackend([]);
    const { user, dialog } = await openForm();
    const d = within(dialog);
    await user.click(d.getByTestId("kind-folder"));
    await user.type(d.getByTestId("source-name"), "Documents");
    await user.type(d.getByTestId("source-path"), "docs");
    await user.click(d.getByTestId("submit-source"));
    expect(d.getByTestId("source-path")).toHaveAccessibleDescription(/full path/);
    await user.clear(d.getByTestId("source-path"));
    await user.type(d.getByTestId("source-path"), "/home/ada/Documents");
    await user.type(d.getByTestId("source-exclude"), "node_modules/{enter}*.tmp");
    await user.click(d.getByTestId("submit-source"));
    await screen.findByTestId("source-row");
    expect(callsOf(backend, "add_source")[0]?.args).toEqual({
      input: {
        name: "Documents",
        password: null,
        settings: { kind: "folder", path: "/home/ada/Documents", include: [], exclude: ["node_modules/", "*.tmp"] },
      },
    });

    await user.click(screen.getByRole("button", { name: "Remove Documents" }));
    const confirm = await screen.findByRole("alertdialog");
    await user.click(within(confirm).getByTestId("confirm-action"));
    expect(await screen.findByTestId("empty-sources")).toBeInTheDocument();
  });

  it("edits a source: the kind stays, an empty password keeps the stored one, or it is forgotten", async () => {
    const backend = installBackend([]);
    backend.sources = [
      { id: "s1", name: "Shop", kind: "postgres", location: "postgresql://app@db:5432/shop", createdAt: new Date().toISOString() },
    ];
    backend.sourceForms.s1 = {
      name: "Shop",
      hasPassword: true,
      settings: { kind: "postgres", host: "db", port: 5432, user: "app", database: "shop", sslMode: "require" },
    };
    const user = userEvent.setup();
    render(<SourcesScreen />);
    await user.click(await screen.findByTestId("edit-source"));
    const dialog = await screen.findByRole("dialog", { name: "Edit source" });
    const d = within(dialog);
    expect(d.queryByTestId("source-kind-picker")).not.toBeInTheDocument();
    expect(d.getByTestId("source-host")).toHaveValue("db");
    expect(d.getByTestId("source-database")).toHaveValue("shop");
    expect(d.getByTestId("source-ssl-mode")).toHaveValue("require");
    expect(d.getByTestId("source-password")).toHaveValue("");
    expect(d.getByTestId("source-password")).toHaveAccessibleDescription(/Leave empty to keep it/);

    await user.click(d.getByTestId("test-source"));
    expect(await d.findByTestId("source-check-ok")).toBeInTheDocument();
    expect(callsOf(backend, "test_source_change")[0]?.args).toMatchObject({ id: "s1", input: { password: null } });

    await user.clear(d.getByTestId("source-name"));
    await user.type(d.getByTestId("source-name"), "Shop (primary)");
    await user.click(d.getByTestId("submit-source"));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(callsOf(backend, "update_source")[0]?.args).toEqual({
      id: "s1",
      clearPassword: false,
      input: {
        name: "Shop (primary)",
        password: null,
        settings: { kind: "postgres", host: "db", port: 5432, user: "app", database: "shop", sslMode: "require" },
      },
    });
    expect(await screen.findByTestId("source-row")).toHaveTextContent("Shop (primary)");

    // Forgetting the password (trust authentication) is a choice of its own.
    await user.click(screen.getByTestId("edit-source"));
    const again = within(await screen.findByRole("dialog", { name: "Edit source" }));
    await user.click(again.getByTestId("source-clear-password"));
    await user.click(again.getByTestId("submit-source"));
    await waitFor(() => expect(callsOf(backend, "update_source")).toHaveLength(2));
    expect(callsOf(backend, "update_source")[1]?.args).toMatchObject({ clearPassword: true, input: { password: null } });
  });
});
