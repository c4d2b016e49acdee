import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { destination, installBackend } from "../../test/backend";
import { DestinationsScreen } from "./DestinationsScreen";
import { useOverview } from "../../lib/useOverview";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

function Screen() {
  return <DestinationsScreen overview={useOverview()} />;
}

describe("Test connection", () => {
  it("shows each action, the bucket's settings, and the advice for what is denied", async () => {
    const backend = installBackend([destination({ id: "s3", name: "Offsite", kind: "s3", location: "s3://b/p/" })]);
    backend.probe.actions[3] = {
      action: "s3:DeleteObject",
      outcome: "denied",
      detail: "Access Denied for s3:DeleteObject: add it to the policy below",
    };
    const user = userEvent.setup();
    render(<Screen />);
    await user.click(await screen.findByTestId("test-destination"));
    const report = await screen.findByTestId("probe-report");
    expect(report).toHaveAttribute("data-ok", "false");
    const actions = within(report).getAllByTestId("probe-action");
    expect(actions.map((a) => a.getAttribute("data-outcome"))).toEqual(["ok", "ok", "ok", "denied"]);
    expect(actions[3]).toHaveTextContent("add it to the policy below");
    expect(report).toHaveTextContent("eu-west-1");
    expect(report).toHaveTextContent("Enabled");
    expect(within(report).getByTestId("probe-mfa-delete")).toHaveTextContent("Disabled");
    // Something failed: the policy is shown open, ready to copy.
    expect(within(report).getByTestId("iam-policy")).toBeVisible();
  });

  it("says when the server never answered, and that the bucket's settings were not checked", async () => {
    const backend = installBackend([destination({ id: "s3", name: "Held", kind: "s3", location: "s3://b/p/" })]);
    backend.probe = {
      ...backend.probe,
      actions: backend.probe.actions.map((a) =>
        a.action === "s3:ListBucket"
          ? { ...a, outcome: "failed", detail: "the server at http://10.0.0.5:7480 took the connection but did not answer within 10 s, twice: check it" }
          : { ...a, outcome: "skipped" },
      ),
      bucketRegion: null,
      versioning: null,
      mfaDelete: null,
      defaultEncryption: null,
      publicAccessBlocked: null,
      answered: false,
    };
    const user = userEvent.setup();
    render(<Screen />);
    await user.click(await screen.findByTestId("test-destination"));
    const report = await screen.findByTestId("probe-report");
    expect(report).toHaveTextContent("The server did not answer, so nothing else was checked.");
    expect(report).toHaveTextContent("The server at http://10.0.0.5:7480 took the connection");
    expect(report).not.toHaveTextContent("Not readable with these keys");
    expect(within(report).getByTestId("probe-mfa-delete")).toHaveTextContent("Not checked");
    // Permissions are not the problem: the policy stays folded away.
    expect(within(report).getByTestId("iam-policy")).not.toBeVisible();
  });
});
