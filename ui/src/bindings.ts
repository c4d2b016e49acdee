// PLACEHOLDER written by hand in the exact shape tauri-specta generates; it will be
// overwritten by the generator (cargo test -p dbackup --test bindings). Do not edit by hand.

export const commands = {
  /** Everything the first screen needs, from the real store. */
  async appOverview(): Promise<Result<AppOverview, IpcError>> {
    try {
      return { status: "ok", data: await TAURI_INVOKE("app_overview") };
    } catch (e) {
      if (e instanceof Error) throw e;
      else return { status: "error", error: e as any };
    }
  },
  async listDestinations(): Promise<Result<DestinationView[], IpcError>> {
    try {
      return { status: "ok", data: await TAURI_INVOKE("list_destinations") };
    } catch (e) {
      if (e instanceof Error) throw e;
      else return { status: "error", error: e as any };
    }
  },
  async addLocalDestination(input: NewLocalDestination): Promise<Result<DestinationView, IpcError>> {
    try {
      return { status: "ok", data: await TAURI_INVOKE("add_local_destination", { input }) };
    } catch (e) {
      if (e instanceof Error) throw e;
      else return { status: "error", error: e as any };
    }
  },
  async removeDestination(id: string): Promise<Result<null, IpcError>> {
    try {
      return { status: "ok", data: await TAURI_INVOKE("remove_destination", { id }) };
    } catch (e) {
      if (e instanceof Error) throw e;
      else return { status: "error", error: e as any };
    }
  },
};

export type AppOverview = {
  version: string;
  dataDir: string;
  logDir: string;
  databasePath: string;
  destinations: DestinationView[];
};
export type DestinationKind = "local" | "s3";
export type DestinationView = {
  id: string;
  name: string;
  kind: DestinationKind;
  /** Human-readable location: a folder path, or s3://bucket/prefix at an endpoint. */
  location: string;
  /** RFC 3339 timestamp */
  createdAt: string;
};
export type NewLocalDestination = { name: string; path: string };
export type ErrorCode =
  | "invalid_input"
  | "not_found"
  | "conflict"
  | "store"
  | "keyring"
  | "storage"
  | "internal";
export type IpcError = { code: ErrorCode; message: string };

import { invoke as TAURI_INVOKE } from "@tauri-apps/api/core";

export type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };
