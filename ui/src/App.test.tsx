import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { installBackend } from "./test/backend";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

describe("App shell", () => {
  it("switches sections and shows honest empty states", async () => {
    installBackend([]);
    render(<App />);
    const user = userEvent.setup();
    await screen.findByTestId("empty-destinations");

    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(screen.getByTestId("nav-destinations")).toHaveAttribute("aria-current", "page");

    await user.click(screen.getByTestId("nav-sources"));
    expect(await screen.findByRole("heading", { name: "No sources yet - add one" })).toBeInTheDocument();
    expect(screen.getByTestId("nav-sources")).toHaveAttribute("aria-current", "page");
    expect(screen.queryByTestId("empty-destinations")).not.toBeInTheDocument();

    for (const [id, heading] of [
      ["jobs", "No jobs yet"],
      ["runs", "No runs yet"],
      ["explorer", "Nothing to browse yet"],
      ["settings", "Appearance"],
    ] as const) {
      await user.click(screen.getByTestId(`nav-${id}`));
      expect(await screen.findByRole("heading", { name: heading })).toBeInTheDocument();
    }
    // Settings shows the real paths from the overview, nothing invented.
    expect(screen.getByTestId("about-card")).toHaveTextContent(
      "/home/ada/.local/share/dbackup/dbackup.sqlite3",
    );
    expect(nav).toBeInTheDocument();
  });
});
