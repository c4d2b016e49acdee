import { render, screen, within, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { installBackend, overviewWith } from "../../test/backend";
import { SettingsScreen } from "./SettingsScreen";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

describe("Settings", () => {
  it("saves each change at once and applies the theme", async () => {
    const backend = installBackend([]);
    const user = userEvent.setup();
    render(<SettingsScreen overview={overviewWith([])} />);
    const theme = await screen.findByTestId("settings-theme");
    await user.selectOptions(theme, "dark");
    await waitFor(() => expect(backend.settings.theme).toBe("dark"));
    expect(document.documentElement.dataset.theme).toBe("dark");
    await user.click(screen.getByTestId("settings-autostart"));
    await waitFor(() => expect(backend.settings.startAtLogin).toBe(true));
    await user.click(screen.getByTestId("settings-notify-retention"));
    await waitFor(() => expect(backend.settings.notifyRetention).toBe(true));
    expect(screen.getByTestId("settings-status")).toHaveTextContent("Saved");
    expect(screen.getByTestId("about-card")).toHaveTextContent("/home/ada/.local/share/dbackup");
  });

  it("puts the theme back when saving fails", async () => {
    const backend = installBackend([]);
    backend.failNext.save_settings = { code: "store", message: "the state database is read-only", field: null };
    const user = userEvent.setup();
    render(<SettingsScreen overview={null} />);
    await user.selectOptions(await screen.findByTestId("settings-theme"), "light");
    expect(await screen.findByText(/read-only/)).toBeInTheDocument();
    expect(document.documentElement.dataset.theme).toBeUndefined();
    expect(screen.getByTestId("settings-theme")).toHaveValue("system");
  });

  it("lists keys, warns where no recovery kit was saved, and imports one from a kit file", async () => {
    const backend = installBackend([]);
    backend.keys = [{ id: "k1", name: "laptop", keyId: "0badf00d", createdAt: new Date().toISOString(), exported: false }];
    const user = userEvent.setup();
    render(<SettingsScreen overview={null} />);
    const row = await screen.findByTestId("key-row");
    expect(row).toHaveTextContent("laptop");
    expect(row).toHaveTextContent("No recovery kit saved");
    await user.type(screen.getByTestId("import-key-name"), "Office key");
    await user.type(screen.getByTestId("import-key-path"), "/media/usb/kit.txt");
    await user.click(screen.getByRole("button", { name: "Import key" }));
    await waitFor(() => expect(screen.getAllByTestId("key-row")).toHaveLength(2));
    expect(backend.calls.find((c) => c.cmd === "import_key_profile")?.args).toEqual({
      name: "Office key",
      path: "/media/usb/kit.txt",
    });
  });

  it("exports the configuration, previews an import, then imports and names what needs a secret", async () => {
    const backend = installBackend([]);
    backend.importReport = {
      applied: false,
      items: [
        { what: "settings", name: "Preferences", outcome: "added", detail: null, warnings: [] },
        {
          what: "destination",
          name: "Ceph",
          outcome: "needs_secret",
          detail: "type its secret access key: Destinations, Edit",
          warnings: ["it sends backups over plain HTTP to http://203.0.113.7:9000: anyone on the network path can read and change them"],
        },
        { what: "job", name: "Shop nightly", outcome: "skipped", detail: "import that key's recovery kit", warnings: [] },
      ],
    };
    backend.settings = { ...backend.settings, theme: "system" };
    const user = userEvent.setup();
    render(<SettingsScreen overview={null} />);

    await user.click(await screen.findByTestId("export-config"));
    expect(await screen.findByTestId("config-exported")).toHaveTextContent("/home/ada/DBackup configuration 2026-12-04.json");
    expect(backend.calls.find((c) => c.cmd === "export_config")?.args).toEqual({ path: null });

    const apply = screen.getByTestId("apply-import");
    expect(apply).toBeDisabled();
    await user.type(screen.getByTestId("import-config-path"), "/media/usb/config.json");
    await user.click(screen.getByTestId("preview-import"));
    expect(await screen.findByTestId("import-summary")).toHaveTextContent("Nothing has changed yet");
    const rows = screen.getAllByTestId("import-item");
    expect(rows.map((r) => r.dataset.outcome)).toEqual(["added", "needs_secret", "skipped"]);
    expect(rows[1]).toHaveTextContent("Will need a secret");
    // What a shared file could do behind the user's back is said in words.
    expect(within(rows[1]!).getByTestId("import-warning")).toHaveTextContent("over plain HTTP");
    expect(within(rows[0]!).queryByTestId("import-warning")).not.toBeInTheDocument();
    expect(rows[1]).toHaveTextContent("type its secret access key");
    expect(rows[2]).toHaveTextContent("Will not be imported");

    // Importing applies it and reloads the preferences it may have changed.
    backend.settings = { ...backend.settings, theme: "dark" };
    const loadsBefore = backend.calls.filter((c) => c.cmd === "get_settings").length;
    await user.click(apply);
    expect(await screen.findByText(/Imported\. Type the secrets/)).toBeInTheDocument();
    expect(screen.getAllByTestId("import-item")[1]).toHaveTextContent("Added, secret needed");
    expect(backend.calls.filter((c) => c.cmd === "import_config").map((c) => c.args)).toEqual([
      { path: "/media/usb/config.json", apply: false },
      { path: "/media/usb/config.json", apply: true },
    ]);
    await waitFor(() => expect(backend.calls.filter((c) => c.cmd === "get_settings").length).toBe(loadsBefore + 1));
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    expect(screen.getByTestId("apply-import")).toBeDisabled();
    document.documentElement.removeAttribute("data-theme");
  });

  it("shows why a file cannot be imported", async () => {
    const backend = installBackend([]);
    backend.failNext.import_config = {
      code: "invalid_input",
      message: "file: /tmp/notes.txt is not a DBackup configuration file",
      field: "file",
    };
    const user = userEvent.setup();
    render(<SettingsScreen overview={null} />);
    await user.type(await screen.findByTestId("import-config-path"), "/tmp/notes.txt");
    await user.click(screen.getByTestId("preview-import"));
    expect(await screen.findByTestId("import-config-error")).toHaveTextContent("not a DBackup configuration file");
    expect(screen.queryByTestId("import-report")).not.toBeInTheDocument();
    expect(screen.getByTestId("apply-import")).toBeDisabled();
  });
});
