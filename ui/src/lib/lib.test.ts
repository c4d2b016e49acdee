import { describe, expect, it } from "vitest";
import { relativeTime } from "./format";
import { IpcFailure, call, unwrap } from "./ipc";
import { EMPTY_S3_FORM, asSentence, needsPlainHttpChoice } from "./s3";
import {
  isAbsolutePath,
  validateBucketName,
  validateLocalDestination,
  validateS3Destination,
} from "./validation";

describe("unwrap", () => {
  it("returns data for ok results", () => {
    expect(unwrap({ status: "ok", data: 42 })).toBe(42);
  });

  it("throws an IpcFailure carrying code and message", () => {
    try {
      unwrap({ status: "error", error: { code: "not_found", message: "No such destination.", field: null } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IpcFailure);
      expect(e).toBeInstanceOf(Error);
      expect((e as IpcFailure).code).toBe("not_found");
      expect((e as IpcFailure).message).toBe("No such destination.");
    }
  });

  it("copes with a bare string error from Tauri itself", () => {
    expect(() =>
      unwrap({ status: "error", error: "command foo not found" as never }),
    ).toThrowError(expect.objectContaining({ code: "internal", message: "Command foo not found" }));
  });
});

describe("call", () => {
  it("turns a thrown bridge error into an 'unreachable' failure", async () => {
    await expect(call(() => Promise.reject(new TypeError("boom")))).rejects.toMatchObject({
      code: "unreachable",
      message: expect.stringMatching(/^Could not reach the DBackup engine: /),
    });
  });
});

describe("validateLocalDestination", () => {
  it("accepts a good name and absolute paths", () => {
    expect(validateLocalDestination({ name: "NAS", path: "/mnt/nas" })).toEqual({});
    expect(validateLocalDestination({ name: "x".repeat(64), path: "D:\\Backups" })).toEqual({});
  });

  it("rejects missing, blank and over-long names", () => {
    expect(validateLocalDestination({ name: "", path: "/a" }).name).toBeDefined();
    expect(validateLocalDestination({ name: "   ", path: "/a" }).name).toBeDefined();
    expect(validateLocalDestination({ name: "x".repeat(65), path: "/a" }).name).toMatch(/64/);
  });

  it("rejects relative paths", () => {
    for (const p of ["backups", "./backups", "~/backups", "C:", "C:backups", "\\\\server"]) {
      expect(isAbsolutePath(p), p).toBe(false);
    }
    for (const p of ["/", "/srv/backups", "C:\\", "c:/Backups"]) {
      expect(isAbsolutePath(p), p).toBe(true);
    }
    expect(validateLocalDestination({ name: "a", path: "" }).path).toBeDefined();
  });
});

describe("validateBucketName", () => {
  // The same cases as the engine's bucket_rules test.
  it("accepts names S3 accepts", () => {
    for (const ok of ["my-backup-bucket", "abc", "a.b-c1", "a".repeat(63), " padded "]) {
      expect(validateBucketName(ok), ok).toBeUndefined();
    }
  });

  it("rejects names S3 rejects", () => {
    for (const bad of [
      "",
      "ab",
      "My-Bucket",
      "-abc",
      "abc-",
      "a..b",
      "a.-b",
      "192.168.5.4",
      "xn--abc",
      "abc-s3alias",
      "a_b",
      "a".repeat(64),
    ]) {
      expect(validateBucketName(bad), bad).toBeDefined();
    }
    // Four numbers that are not an address are a fine name.
    expect(validateBucketName("1.2.3.999")).toBeUndefined();
  });
});

describe("validateS3Destination", () => {
  const form = {
    ...EMPTY_S3_FORM,
    name: "Offsite",
    region: "eu-west-1",
    bucket: "acme",
    accessKeyId: "AKIA",
    secretAccessKey: "secret",
  };

  it("needs no keys with the default credential chain, except on R2", () => {
    const chain = { ...form, accessKeyId: "", secretAccessKey: "", defaultCredentials: true };
    expect(validateS3Destination("aws", chain)).toEqual({});
    expect(Object.keys(validateS3Destination("aws", { ...chain, profile: "a b" }))).toEqual(["profile"]);
    // R2 has no credential chain: its keys are asked for whatever the switch says.
    expect(
      Object.keys(validateS3Destination("r2", { ...chain, accountId: "0123456789abcdef0123456789abcdef" })).sort(),
    ).toEqual(["accessKeyId", "secretAccessKey"]);
  });

  it("asks each provider for its own fields", () => {
    expect(validateS3Destination("aws", form)).toEqual({});
    expect(Object.keys(validateS3Destination("aws", { ...form, region: "" }))).toEqual(["region"]);
    expect(Object.keys(validateS3Destination("aws", { ...form, region: "EU West" }))).toEqual([
      "region",
    ]);
    // R2 needs no region, but an account id; S3-compatible needs an endpoint.
    expect(Object.keys(validateS3Destination("r2", { ...form, region: "" }))).toEqual([
      "accountId",
    ]);
    expect(validateS3Destination("r2", { ...form, accountId: "f".repeat(32) })).toEqual({});
    expect(
      validateS3Destination("r2", { ...form, accountId: "f".repeat(32), storageClass: "GLACIER" })
        .storageClass,
    ).toMatch(/STANDARD and STANDARD_IA/);
    expect(Object.keys(validateS3Destination("custom", { ...form, region: "" }))).toEqual([
      "endpoint",
    ]);
    expect(
      validateS3Destination("custom", { ...form, endpoint: "ftp://files.example.com" }).endpoint,
    ).toBeDefined();
    expect(
      validateS3Destination("custom", { ...form, region: "", endpoint: "https://s3.example.com" }),
    ).toEqual({});
  });

  it("rejects blank keys and prefixes the engine would refuse", () => {
    const errors = validateS3Destination("aws", {
      ...form,
      accessKeyId: "  ",
      secretAccessKey: "",
      prefix: "a/../b",
    });
    expect(Object.keys(errors).sort()).toEqual(["accessKeyId", "prefix", "secretAccessKey"]);
    expect(validateS3Destination("aws", { ...form, prefix: "a\\b" }).prefix).toBeDefined();
    expect(validateS3Destination("aws", { ...form, prefix: "/backups//db/" })).toEqual({});
  });
});

describe("asSentence", () => {
  it("capitalises and ends engine notices", () => {
    expect(asSentence("removed spaces around the accessKeyId")).toBe(
      "Removed spaces around the accessKeyId.",
    );
    expect(asSentence("Done!")).toBe("Done!");
  });
});

describe("relativeTime", () => {
  const now = new Date("2025-06-15T12:00:00Z");
  it("describes recent and older times", () => {
    expect(relativeTime("2025-06-15T11:59:50Z", now)).toBe("just now");
    expect(relativeTime("2025-06-15T11:55:00Z", now)).toBe("5 minutes ago");
    expect(relativeTime("2025-06-15T09:00:00Z", now)).toBe("3 hours ago");
    expect(relativeTime("2025-06-14T12:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2025-03-01T12:00:00Z", now)).toBe("3 months ago");
  });

  it("returns unparseable input unchanged", () => {
    expect(relativeTime("not a date", now)).toBe("not a date");
  });
});

describe("needsPlainHttpChoice", () => {
  it("asks only for plain HTTP beyond this computer and private networks, as the engine does", () => {
    for (const local of [
      "http://127.0.0.1:7480",
      "http://localhost:9000/",
      "http://[::1]:7480",
      "http://10.1.2.3",
      "http://192.168.1.20:9000",
      "http://172.16.0.9",
      "http://nas.local:9000",
      "http://[fd00::5]:80",
      "https://s3.example.com",
      "",
    ])
      expect(needsPlainHttpChoice(local), local).toBe(false);
    for (const remote of [
      "http://s3.example.com",
      "http://8.8.8.8:80",
      "http://172.32.0.1",
      "http://user@evil.example.net:9000/x",
      "http://127.0.0.1.evil.example.net",
      "http://[2001:db8::1]",
    ])
      expect(needsPlainHttpChoice(remote), remote).toBe(true);
  });
});
