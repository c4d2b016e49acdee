import { describe, expect, it } from "vitest";
import { relativeTime } from "./format";
import { IpcFailure, call, unwrap } from "./ipc";
import { isAbsolutePath, validateLocalDestination } from "./validation";

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
