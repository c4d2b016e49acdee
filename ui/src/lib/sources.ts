import type { PgSslMode, SourceForm, SourceInput, SourceKind } from "../bindings";
import { isAbsolutePath, validateName } from "./validation";

/** Everything the source form can hold; each kind uses its own part. */
export type SourceFormValues = {
  name: string;
  host: string;
  port: string;
  user: string;
  password: string;
  /** PostgreSQL: one database, or blank for all of them. */
  database: string;
  /** MySQL/MariaDB: comma-separated, or blank for all of them. */
  databases: string;
  sslMode: PgSslMode;
  path: string;
  /** Folder: glob patterns, one per line. */
  exclude: string;
};

export type SourceField = keyof Omit<SourceFormValues, "sslMode">;
export type SourceErrors = Partial<Record<SourceField, string>>;

export const DEFAULT_PORT: Record<"postgres" | "mysql", string> = { postgres: "5432", mysql: "3306" };
export const DEFAULT_USER: Record<"postgres" | "mysql", string> = { postgres: "postgres", mysql: "root" };

export function emptySourceForm(kind: SourceKind): SourceFormValues {
  const server = kind === "postgres" || kind === "mysql";
  return {
    name: "",
    host: server ? "localhost" : "",
    port: server ? DEFAULT_PORT[kind] : "",
    user: server ? DEFAULT_USER[kind] : "",
    password: "",
    database: "",
    databases: "",
    sslMode: "prefer",
    path: "",
    exclude: "",
  };
}

export const SSL_MODES: { value: PgSslMode; label: string }[] = [
  { value: "prefer", label: "Prefer (TLS when the server offers it)" },
  { value: "require", label: "Require TLS" },
  { value: "verify-ca", label: "Require TLS and verify the certificate authority" },
  { value: "verify-full", label: "Require TLS and verify the host name" },
  { value: "allow", label: "Allow (plain first)" },
  { value: "disable", label: "Disable TLS" },
];

/** The fields a kind shows, in order, so the first invalid one gets focus. */
export const FIELDS_OF: Record<SourceKind, SourceField[]> = {
  postgres: ["name", "host", "port", "user", "password", "database"],
  mysql: ["name", "host", "port", "user", "password", "databases"],
  sqlite: ["name", "path"],
  folder: ["name", "path", "exclude"],
};

function list(text: string, separator: RegExp): string[] {
  return text
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Checks what can be checked here; the engine checks the rest (and reaches the server). */
export function validateSource(kind: SourceKind, v: SourceFormValues): SourceErrors {
  const errors: SourceErrors = {};
  const name = validateName(v.name);
  if (name) errors.name = name;
  if (kind === "postgres" || kind === "mysql") {
    if (!v.host.trim()) errors.host = "Enter the server's host name or IP address.";
    else if (/\s/.test(v.host.trim())) errors.host = "A host name has no spaces.";
    const port = Number(v.port.trim());
    if (!/^\d+$/.test(v.port.trim()) || port < 1 || port > 65535)
      errors.port = `Enter a port from 1 to 65535 (${kind === "postgres" ? "PostgreSQL" : "MySQL and MariaDB"} use ${DEFAULT_PORT[kind]}).`;
    if (!v.user.trim()) errors.user = "Enter the user DBackup connects as.";
  } else {
    const path = v.path.trim();
    const what = kind === "sqlite" ? "database file" : "folder";
    if (!path) errors.path = `Enter the path of the ${what}.`;
    else if (!isAbsolutePath(path)) errors.path = `Use the full path of the ${what}, starting with /.`;
  }
  return errors;
}

export function buildSourceInput(kind: SourceKind, v: SourceFormValues): SourceInput {
  const password = v.password === "" ? null : v.password;
  const name = v.name.trim();
  switch (kind) {
    case "postgres":
      return {
        name,
        password,
        settings: {
          kind,
          host: v.host.trim(),
          port: Number(v.port.trim()),
          user: v.user.trim(),
          database: v.database.trim() || null,
          sslMode: v.sslMode,
        },
      };
    case "mysql":
      return {
        name,
        password,
        settings: {
          kind,
          host: v.host.trim(),
          port: Number(v.port.trim()),
          user: v.user.trim(),
          databases: list(v.databases, /,/),
        },
      };
    case "sqlite":
      return { name, password: null, settings: { kind, path: v.path.trim() } };
    case "folder":
      return {
        name,
        password: null,
        settings: { kind, path: v.path.trim(), include: [], exclude: list(v.exclude, /\n/) },
      };
  }
}

/** Where an engine error belongs in the form, or null for the form as a whole. */
export function sourceFieldOf(kind: SourceKind, field: string | null): SourceField | null {
  if (!field) return null;
  const fields: string[] = FIELDS_OF[kind];
  if (fields.includes(field)) return field as SourceField;
  if (field === "databases" && kind === "postgres") return "database";
  if (field === "database" && kind === "mysql") return "databases";
  return null;
}

/** The edit form's starting point: the saved settings, the password left empty. */
export function formOfSaved(saved: SourceForm): { kind: SourceKind; values: SourceFormValues } {
  const s = saved.settings;
  const values = { ...emptySourceForm(s.kind), name: saved.name };
  switch (s.kind) {
    case "postgres":
      return {
        kind: s.kind,
        values: {
          ...values,
          host: s.host,
          port: String(s.port),
          user: s.user,
          database: s.database ?? "",
          sslMode: s.sslMode ?? "prefer",
        },
      };
    case "mysql":
      return {
        kind: s.kind,
        values: { ...values, host: s.host, port: String(s.port), user: s.user, databases: (s.databases ?? []).join(", ") },
      };
    case "sqlite":
      return { kind: s.kind, values: { ...values, path: s.path } };
    case "folder":
      return { kind: s.kind, values: { ...values, path: s.path, exclude: (s.exclude ?? []).join("\n") } };
  }
}
