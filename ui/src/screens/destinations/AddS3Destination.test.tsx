import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { App } from "../../App";
import type { DestinationSettings, NewS3Destination } from "../../bindings";
import { callsOf, destination, installBackend } from "../../test/backend";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));

/** What `destination_settings` answers for the saved Ceph destination the edit tests use. */
function cephSettings(storageClass: string): DestinationSettings {
  return {
    kind: "s3",
    name: "Ceph",
    config: {
      provider: "custom",
      region: "us-east-1",
      bucket: "team",
      prefix: "db/",
      endpoint: "http://ceph:7480",
      pathStyle: true,
      accountId: null,
      jurisdiction: null,
      accessKeyId: "AKIAFIRST",
      credentials: "access_key",
      profile: null,
      storageClass,
      sse: "bucket_default",
      kmsKeyId: null,
      transferAcceleration: false,
      allowPlainHttp: false,
    },
  };
}

type User = ReturnType<typeof userEvent.setup>;

async function openAddForm(kind?: RegExp) {
  const user = userEvent.setup();
  await user.click(await screen.findByTestId("add-destination"));
  const dialog = await screen.findByRole("dialog", { name: "Add destination" });
  if (kind) await user.click(within(dialog).getByRole("radio", { name: kind }));
  return { user, dialog };
}

function submitButton(dialog: HTMLElement) {
  return within(dialog).getByRole("button", { name: "Add destination" });
}

/** The storage class options offered, by name. */
function storageClasses(dialog: HTMLElement) {
  const group = within(dialog).getByRole("radiogroup", { name: "Storage class" });
  return within(group)
    .getAllByRole("radio")
    .map((r) => r.getAttribute("value"));
}

async function fillAws(user: User, dialog: HTMLElement, bucket = "acme-backups") {
  const field = (label: string) => within(dialog).getByLabelText(label);
  await user.type(field("Name"), "Offsite");
  await user.type(field("Region"), "eu-west-1");
  if (bucket) await user.type(field("Bucket"), bucket);
  await user.type(field("Access Key ID"), "AKIAEXAMPLE");
  await user.type(field("Secret Access Key"), "s3cr3t");
}

describe("Adding an S3 destination", () => {
  it("shows the Amazon S3 fields when Amazon S3 is chosen", async () => {
    installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm();
    expect(within(dialog).getByLabelText("Folder path")).toBeInTheDocument();
    expect(within(dialog).queryByLabelText("Bucket")).not.toBeInTheDocument();

    const s3 = within(dialog).getByRole("radio", { name: /Amazon S3/ });
    expect(s3).not.toHaveAttribute("aria-disabled");
    await user.click(s3);
    expect(s3).toHaveAttribute("aria-checked", "true");
    expect(within(dialog).queryByText("Soon")).not.toBeInTheDocument();

    expect(within(dialog).queryByLabelText("Folder path")).not.toBeInTheDocument();
    for (const label of ["Name", "Region", "Bucket", "Path prefix", "Access Key ID"]) {
      expect(within(dialog).getByLabelText(label)).toBeInTheDocument();
    }
    // Fields of the other providers stay hidden.
    expect(within(dialog).queryByLabelText("Endpoint URL")).not.toBeInTheDocument();
    expect(within(dialog).queryByLabelText("Account ID")).not.toBeInTheDocument();
    expect(within(dialog).queryByRole("switch", { name: "Path-style addressing" })).toBeNull();

    // Regions are suggested from a list of AWS regions.
    const region = within(dialog).getByLabelText("Region");
    const list = document.getElementById(region.getAttribute("list") ?? "");
    const regions = Array.from(list?.querySelectorAll("option") ?? []).map((o) => o.value);
    expect(regions).toHaveLength(29);
    expect(regions).toEqual(expect.arrayContaining(["us-east-1", "eu-central-2", "mx-central-1"]));

    // The secret is hidden until revealed, and said to live in the OS keyring.
    const secret = within(dialog).getByLabelText("Secret Access Key");
    expect(secret).toHaveAttribute("type", "password");
    expect(secret).toHaveAccessibleDescription(expect.stringContaining("OS keyring"));
    const reveal = within(dialog).getByRole("button", { name: "Show secret access key" });
    await user.click(reveal);
    expect(secret).toHaveAttribute("type", "text");
    expect(reveal).toHaveAttribute("aria-pressed", "true");
    await user.click(reveal);
    expect(secret).toHaveAttribute("type", "password");

    // Every storage class, with its use case and cost hint; STANDARD by default.
    expect(storageClasses(dialog)).toEqual([
      "STANDARD",
      "STANDARD_IA",
      "INTELLIGENT_TIERING",
      "GLACIER_IR",
      "GLACIER",
      "DEEP_ARCHIVE",
    ]);
    const standard = within(dialog).getByRole("radio", { name: "STANDARD" });
    expect(standard).toBeChecked();
    expect(standard).toHaveAccessibleDescription(expect.stringContaining("Frequent access"));
    const deepArchive = within(dialog).getByTestId("storage-class-DEEP_ARCHIVE");
    expect(deepArchive).toHaveTextContent("Long-term archive (12h+ retrieve)");
    expect(within(deepArchive).getByText("$")).toBeInTheDocument();
    expect(
      within(within(dialog).getByTestId("storage-class-STANDARD")).getByText("$$$$"),
    ).toBeInTheDocument();

    // Encryption: bucket default first; SSE-KMS asks for an optional key.
    const sse = within(dialog).getByRole("radiogroup", { name: "Server-side encryption" });
    expect(within(sse).getByRole("radio", { name: "Bucket default" })).toBeChecked();
    expect(within(dialog).queryByLabelText("KMS key ID")).not.toBeInTheDocument();
    await user.click(within(sse).getByRole("radio", { name: "SSE-KMS" }));
    expect(within(dialog).getByLabelText("KMS key ID")).toBeInTheDocument();

    const acceleration = within(dialog).getByRole("switch", { name: "Transfer Acceleration" });
    expect(acceleration).not.toBeChecked();
  });

  it("checks the bucket name before submitting", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm(/Amazon S3/);
    const bucket = within(dialog).getByLabelText("Bucket");
    await fillAws(user, dialog, "My_Backups");

    await user.click(submitButton(dialog));
    expect(bucket).toHaveAttribute("aria-invalid", "true");
    expect(bucket).toHaveAccessibleDescription(
      expect.stringContaining("Use only lower-case letters, digits, dots and hyphens."),
    );
    expect(bucket).toHaveFocus();

    // Once submission was tried, the message follows what is typed.
    for (const [name, message] of [
      ["ab", "A bucket name has 3 to 63 characters."],
      ["-backups", "Start and end the name with a letter or digit."],
      ["acme..backups", "Remove the two dots in a row."],
      ["192.168.5.4", "A bucket name cannot be formatted like an IP address."],
    ] as const) {
      await user.clear(bucket);
      await user.type(bucket, name);
      expect(bucket).toHaveAccessibleDescription(expect.stringContaining(message));
      await user.click(submitButton(dialog));
      expect(bucket).toHaveFocus();
    }
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(0);

    await user.clear(bucket);
    await user.type(bucket, "acme.backups-2");
    expect(bucket).not.toHaveAttribute("aria-invalid");
    await user.click(submitButton(dialog));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(1);
  });

  it("asks for the AWS region and the keys, focusing the first missing field", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm(/Amazon S3/);
    await user.type(within(dialog).getByLabelText("Name"), "Offsite");
    await user.type(within(dialog).getByLabelText("Bucket"), "acme-backups");
    await user.click(submitButton(dialog));

    const region = within(dialog).getByLabelText("Region");
    expect(region).toHaveFocus();
    expect(region).toHaveAccessibleDescription(
      expect.stringContaining("Enter the bucket's region."),
    );
    expect(within(dialog).getByLabelText("Access Key ID")).toHaveAccessibleDescription(
      expect.stringContaining("Enter the access key ID."),
    );
    expect(within(dialog).getByLabelText("Secret Access Key")).toHaveAttribute(
      "aria-invalid",
      "true",
    );
    expect(within(dialog).getByLabelText("Bucket")).not.toHaveAttribute("aria-invalid");
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(0);
  });

  it("uses the AWS default credential chain without asking for keys", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm(/Amazon S3/);
    await user.type(within(dialog).getByLabelText("Name"), "EC2 role");
    await user.type(within(dialog).getByLabelText("Region"), "eu-west-1");
    await user.type(within(dialog).getByLabelText("Bucket"), "acme-backups");
    await user.click(
      within(dialog).getByRole("switch", { name: "Use the AWS default credential chain" }),
    );
    expect(within(dialog).queryByLabelText("Access Key ID")).not.toBeInTheDocument();
    expect(within(dialog).queryByLabelText("Secret Access Key")).not.toBeInTheDocument();
    await user.type(within(dialog).getByTestId("s3-profile"), "two words");
    await user.click(submitButton(dialog));
    expect(await within(dialog).findByText(/has no spaces/)).toBeInTheDocument();
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(0);
    await user.clear(within(dialog).getByTestId("s3-profile"));
    await user.type(within(dialog).getByTestId("s3-profile"), "backup");
    await user.click(submitButton(dialog));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const sent = callsOf(backend, "add_s3_destination")[0]?.args as { input: NewS3Destination };
    expect(sent.input.credentials).toBe("default_chain");
    expect(sent.input.profile).toBe("backup");
    expect(sent.input.accessKeyId).toBe("");
    expect(sent.input.secretAccessKey).toBe("");
  });

  it("sends the Amazon S3 form as typed, with null for what does not apply", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm(/Amazon S3/);
    await user.type(within(dialog).getByLabelText("Name"), "  Offsite ");
    await user.type(within(dialog).getByLabelText("Region"), " eu-west-1");
    await user.type(within(dialog).getByLabelText("Bucket"), "acme-backups");
    await user.type(within(dialog).getByLabelText("Path prefix"), "/db/");
    await user.type(within(dialog).getByLabelText("Access Key ID"), "AKIAEXAMPLE");
    await user.type(within(dialog).getByLabelText("Secret Access Key"), "s3cr3t/Key+");
    await user.click(within(dialog).getByRole("radio", { name: "GLACIER_IR" }));
    await user.click(within(dialog).getByRole("radio", { name: "SSE-KMS" }));
    await user.type(within(dialog).getByLabelText("KMS key ID"), "alias/backups");
    await user.click(within(dialog).getByRole("switch", { name: "Transfer Acceleration" }));
    await user.click(submitButton(dialog));

    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const expected: NewS3Destination = {
      name: "Offsite",
      provider: "aws",
      region: "eu-west-1",
      bucket: "acme-backups",
      prefix: "/db/",
      endpoint: null,
      pathStyle: false,
      accountId: null,
      jurisdiction: null,
      accessKeyId: "AKIAEXAMPLE",
      secretAccessKey: "s3cr3t/Key+",
      credentials: "access_key",
      profile: null,
      storageClass: "GLACIER_IR",
      sse: "kms",
      kmsKeyId: "alias/backups",
      transferAcceleration: true,
      allowPlainHttp: false,
    };
    expect(callsOf(backend, "add_s3_destination")).toEqual([
      { cmd: "add_s3_destination", args: { input: expected } },
    ]);
    expect(callsOf(backend, "add_local_destination")).toHaveLength(0);

    // The list is refreshed and shows the new destination; no notices, so a plain toast.
    const rows = await screen.findAllByTestId("destination-row");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("Offsite");
    expect(within(rows[0]!).getByTestId("kind-badge")).toHaveTextContent("S3");
    expect(rows[0]).toHaveTextContent("s3://acme-backups/db/");
    expect(screen.getByTestId("notice")).toHaveTextContent("Added “Offsite”");
    expect(screen.queryByTestId("notice-details")).not.toBeInTheDocument();
  });

  it("offers R2 only its two classes, no region or encryption, and sends the account", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm(/Amazon S3/);
    // Choices R2 does not take are dropped on the way.
    await user.click(within(dialog).getByRole("radio", { name: "DEEP_ARCHIVE" }));
    await user.click(within(dialog).getByRole("radio", { name: "SSE-S3 (AES256)" }));
    await user.click(within(dialog).getByRole("switch", { name: "Transfer Acceleration" }));
    await user.type(within(dialog).getByLabelText("Region"), "eu-west-1");

    await user.click(within(dialog).getByRole("radio", { name: /Cloudflare R2/ }));
    expect(within(dialog).queryByLabelText("Region")).not.toBeInTheDocument();
    expect(within(dialog).queryByRole("radiogroup", { name: "Server-side encryption" })).toBeNull();
    expect(within(dialog).queryByRole("switch", { name: "Transfer Acceleration" })).toBeNull();
    expect(within(dialog).queryByLabelText("Endpoint URL")).not.toBeInTheDocument();
    expect(storageClasses(dialog)).toEqual(["STANDARD", "STANDARD_IA"]);
    expect(within(dialog).getByRole("radio", { name: "STANDARD" })).toBeChecked();
    expect(within(dialog).getByTestId("s3-storage")).toHaveTextContent("Zero egress fees");

    const account = within(dialog).getByLabelText("Account ID");
    await user.type(within(dialog).getByLabelText("Name"), "R2 backups");
    await user.type(account, "0123456789abcdef");
    await user.type(within(dialog).getByLabelText("Bucket"), "backups");
    await user.type(within(dialog).getByLabelText("Access Key ID"), "r2key");
    await user.type(within(dialog).getByLabelText("Secret Access Key"), "r2secret");
    await user.click(submitButton(dialog));
    expect(account).toHaveFocus();
    expect(account).toHaveAccessibleDescription(
      expect.stringContaining("32 hexadecimal characters"),
    );
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(0);

    await user.type(account, "0123456789ABCDEF");
    expect(account).not.toHaveAttribute("aria-invalid");
    await user.selectOptions(within(dialog).getByLabelText("Jurisdiction"), "eu");
    await user.click(within(dialog).getByRole("radio", { name: "STANDARD_IA" }));
    await user.click(submitButton(dialog));

    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(callsOf(backend, "add_s3_destination").map((c) => c.args)).toEqual([
      {
        input: {
          name: "R2 backups",
          provider: "r2",
          region: "",
          bucket: "backups",
          prefix: "",
          endpoint: null,
          pathStyle: false,
          accountId: "0123456789abcdef0123456789ABCDEF",
          jurisdiction: "eu",
          accessKeyId: "r2key",
          secretAccessKey: "r2secret",
          credentials: "access_key",
          profile: null,
          storageClass: "STANDARD_IA",
          sse: "bucket_default",
          kmsKeyId: null,
          transferAcceleration: false,
          allowPlainHttp: false,
        },
      },
    ]);
  });

  it("puts an engine error about the bucket under Bucket, and others at form level", async () => {
    const backend = installBackend([]);
    backend.failNext.add_s3_destination = {
      code: "storage",
      message: "the bucket acme-backups does not exist in eu-west-1",
      field: "bucket",
    };
    render(<App />);
    const { user, dialog } = await openAddForm(/Amazon S3/);
    await fillAws(user, dialog);
    await user.click(submitButton(dialog));

    const bucket = within(dialog).getByLabelText("Bucket");
    await waitFor(() =>
      expect(bucket).toHaveAccessibleDescription(
        expect.stringContaining("The bucket acme-backups does not exist in eu-west-1"),
      ),
    );
    expect(bucket).toHaveAttribute("aria-invalid", "true");
    expect(bucket).toHaveFocus();
    expect(within(dialog).getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByTestId("form-error")).not.toBeInTheDocument();

    // A taken name goes next to Name, whatever field the engine names.
    backend.failNext.add_s3_destination = {
      code: "conflict",
      message: "a destination named “Offsite” already exists",
      field: null,
    };
    await user.click(submitButton(dialog));
    const name = within(dialog).getByLabelText("Name");
    await waitFor(() =>
      expect(name).toHaveAccessibleDescription(
        expect.stringContaining("A destination named “Offsite” already exists"),
      ),
    );
    expect(bucket).not.toHaveAttribute("aria-invalid");

    // No field: the message and its code at form level.
    backend.failNext.add_s3_destination = {
      code: "keyring",
      message: "the OS keyring is locked",
      field: null,
    };
    await user.click(submitButton(dialog));
    const formError = await screen.findByTestId("form-error");
    expect(formError).toHaveTextContent("The OS keyring is locked");
    expect(formError).toHaveTextContent("keyring");
    expect(name).not.toHaveAttribute("aria-invalid");
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(3);
  });

  it("adds an S3-compatible server and shows the engine's notices", async () => {
    const backend = installBackend([]);
    render(<App />);
    const { user, dialog } = await openAddForm(/S3-compatible/);
    expect(within(dialog).queryByRole("switch", { name: "Transfer Acceleration" })).toBeNull();
    const pathStyle = within(dialog).getByRole("switch", { name: "Path-style addressing" });
    expect(pathStyle).toBeChecked();
    expect(storageClasses(dialog)).toHaveLength(6);

    const endpoint = within(dialog).getByLabelText("Endpoint URL");
    await user.type(within(dialog).getByLabelText("Name"), "MinIO");
    await user.type(endpoint, "nas.local:9000");
    await user.type(within(dialog).getByLabelText("Bucket"), "backups");
    // Pasted keys with spaces: sent as typed, the engine trims them and says so.
    await user.type(within(dialog).getByLabelText("Access Key ID"), " minio-user");
    await user.type(within(dialog).getByLabelText("Secret Access Key"), "minio-secret ");
    await user.click(submitButton(dialog));
    expect(endpoint).toHaveFocus();
    expect(endpoint).toHaveAccessibleDescription(
      expect.stringContaining("Enter a URL starting with https:// or http://"),
    );

    await user.clear(endpoint);
    await user.type(endpoint, "http://nas.local:9000");
    await user.click(submitButton(dialog));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());

    expect(callsOf(backend, "add_s3_destination")[0]?.args).toEqual({
      input: expect.objectContaining({
        provider: "custom",
        endpoint: "http://nas.local:9000",
        region: "us-east-1",
        pathStyle: true,
        accountId: null,
        jurisdiction: null,
        accessKeyId: " minio-user",
        secretAccessKey: "minio-secret ",
        storageClass: "STANDARD",
        sse: "bucket_default",
        transferAcceleration: false,
        allowPlainHttp: false,
      }),
    });

    const notice = await screen.findByTestId("notice");
    expect(notice).toHaveTextContent("Added “MinIO”");
    const details = within(notice).getAllByRole("listitem");
    expect(details.map((d) => d.textContent)).toEqual([
      "Removed spaces around the accessKeyId; pasted keys often carry them, and S3 then rejects the key.",
      "Removed spaces around the secretAccessKey; pasted keys often carry them, and S3 then rejects the key.",
    ]);
    expect(await screen.findByTestId("destination-row")).toHaveTextContent(
      "s3://backups/ at http://nas.local:9000",
    );

    await user.click(within(notice).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
  });

  it("edits a destination from its stored settings, keeping the secret unless retyped", async () => {
    const backend = installBackend([
      destination({ id: "d1", name: "Ceph", kind: "s3", location: "s3://team/db/ at http://ceph:7480" }),
    ]);
    backend.settingsOf.d1 = cephSettings("STANDARD_IA");
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByTestId("edit-destination"));
    const dialog = await screen.findByRole("dialog", { name: "Edit destination" });
    // The kind cannot change; the stored values are filled in; the secret is not.
    expect(within(dialog).queryByRole("radio", { name: /Amazon S3/ })).not.toBeInTheDocument();
    expect(within(dialog).getByLabelText("Bucket")).toHaveValue("team");
    expect(within(dialog).getByLabelText("Access Key ID")).toHaveValue("AKIAFIRST");
    expect(within(dialog).getByRole("radio", { name: "STANDARD_IA" })).toBeChecked();
    const secret = within(dialog).getByLabelText("Secret Access Key");
    expect(secret).toHaveValue("");
    expect(secret).toHaveAttribute("placeholder", "Stored: leave empty to keep it");

    await user.clear(within(dialog).getByLabelText("Name"));
    await user.type(within(dialog).getByLabelText("Name"), "Ceph cluster");
    await user.click(within(dialog).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const sent = callsOf(backend, "update_s3_destination")[0]?.args as { id: string; input: NewS3Destination };
    expect(sent.id).toBe("d1");
    expect(sent.input.name).toBe("Ceph cluster");
    expect(sent.input.secretAccessKey).toBe("");
    expect(sent.input.storageClass).toBe("STANDARD_IA");
    expect(sent.input.endpoint).toBe("http://ceph:7480");
    expect(callsOf(backend, "add_s3_destination")).toHaveLength(0);
    expect(await screen.findByTestId("notice")).toHaveTextContent("Saved “Ceph cluster”");
    expect(screen.getByTestId("destination-row")).toHaveTextContent("Ceph cluster");
  });

  it("marks an imported destination whose secret is missing, and its edit asks for the secret", async () => {
    const backend = installBackend([
      destination({ id: "d1", name: "Ceph", kind: "s3", location: "s3://team/db/ at http://ceph:7480", secretMissing: true }),
    ]);
    backend.settingsOf.d1 = cephSettings("STANDARD");
    const user = userEvent.setup();
    render(<App />);
    await user.click(await screen.findByTestId("destination-secret-missing"));
    const dialog = await screen.findByRole("dialog", { name: "Edit destination" });
    const secret = within(dialog).getByLabelText("Secret Access Key");
    expect(secret).not.toHaveAttribute("placeholder", "Stored: leave empty to keep it");
    await user.click(within(dialog).getByRole("button", { name: "Save changes" }));
    expect(secret).toHaveFocus();
    expect(callsOf(backend, "update_s3_destination")).toHaveLength(0);
    await user.type(secret, "the-secret");
    await user.click(within(dialog).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(callsOf(backend, "update_s3_destination")).toHaveLength(1));
    const sent = callsOf(backend, "update_s3_destination")[0]?.args as { input: NewS3Destination };
    expect(sent.input.secretAccessKey).toBe("the-secret");
  });
});
