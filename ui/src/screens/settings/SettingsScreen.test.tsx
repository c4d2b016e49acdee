import { render, screen, waitFor } from "@testing-library/react";
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
});
