import type { ErrorCode, IpcError, Result } from "../bindings";

/** Error code for failures that never reached the Rust side (no Tauri runtime, bridge crash). */
export type FailureCode = ErrorCode | "unreachable";

/** An IPC command failed. Carries the engine's stable error code and its human message. */
export class IpcFailure extends Error {
  override readonly name = "IpcFailure";
  readonly code: FailureCode;
  /** The input field the engine says the error concerns (e.g. "name", "path"). */
  readonly field: string | null;

  constructor(code: FailureCode, message: string, field: string | null = null) {
    // Engine messages start in lower case so they compose in logs; show sentences.
    super(message.charAt(0).toUpperCase() + message.slice(1));
    this.code = code;
    this.field = field;
  }
}

function isIpcError(value: unknown): value is IpcError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** Returns the data of an ok result; throws an {@link IpcFailure} for an error result. */
export function unwrap<T>(r: Result<T, IpcError>): T {
  if (r.status === "ok") return r.data;
  // Tauri itself rejects with a bare string (e.g. an unknown command), which the generated
  // bindings pass through as the "error" value, so do not trust its shape blindly.
  const err: unknown = r.error;
  if (isIpcError(err)) throw new IpcFailure(err.code, err.message, err.field ?? null);
  throw new IpcFailure("internal", typeof err === "string" ? err : JSON.stringify(err));
}

function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/**
 * Runs a generated command and unwraps it. The bindings re-throw JS exceptions from the
 * bridge (they are not IpcErrors); those become an IpcFailure with code "unreachable".
 */
export async function call<T>(command: () => Promise<Result<T, IpcError>>): Promise<T> {
  let r: Result<T, IpcError>;
  try {
    r = await command();
  } catch (e) {
    if (e instanceof IpcFailure) throw e;
    const detail = inTauri()
      ? e instanceof Error
        ? e.message
        : String(e)
      : "this window is not running inside the DBackup desktop app.";
    throw new IpcFailure("unreachable", `Could not reach the DBackup engine: ${detail}`);
  }
  return unwrap(r);
}

/** Normalises anything caught into an IpcFailure, for display. */
export function asFailure(e: unknown): IpcFailure {
  if (e instanceof IpcFailure) return e;
  if (e instanceof Error) return new IpcFailure("internal", e.message);
  return new IpcFailure("internal", String(e));
}
