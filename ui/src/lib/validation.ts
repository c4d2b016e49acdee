import type { S3Provider } from "../bindings";
import { R2_STORAGE_CLASSES, STORAGE_CLASSES, type S3FormValues } from "./s3";

export const NAME_MAX = 64;

export type LocalDestinationErrors = { name?: string; path?: string };

/** The name must be given and fit; returns the message, or undefined when it is fine. */
export function validateName(value: string): string | undefined {
  const name = value.trim();
  if (name.length === 0) return "Enter a name.";
  if ([...name].length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return undefined;
}

/** True for "/srv/backups", "C:\\Backups" or "D:/Backups". */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path);
}

export function validateLocalDestination(input: {
  name: string;
  path: string;
}): LocalDestinationErrors {
  const errors: LocalDestinationErrors = {};
  const path = input.path.trim();
  const name = validateName(input.name);
  if (name) errors.name = name;
  if (path.length === 0) errors.path = "Enter the folder path.";
  else if (!isAbsolutePath(path))
    errors.path = "Use an absolute path, such as /mnt/nas/backups or C:\\Backups.";
  return errors;
}

/**
 * S3's bucket naming rules (the engine applies the same ones before any request).
 * Returns the message, or undefined for a valid name.
 */
export function validateBucketName(value: string): string | undefined {
  const bucket = value.trim();
  if (bucket.length === 0) return "Enter the bucket name.";
  if (bucket.length < 3 || bucket.length > 63) return "A bucket name has 3 to 63 characters.";
  if (/[A-Z]/.test(bucket) && /^[A-Za-z0-9.-]+$/.test(bucket))
    return "Use lower-case letters: bucket names are lower case (check the exact name).";
  if (!/^[a-z0-9.-]+$/.test(bucket))
    return "Use only lower-case letters, digits, dots and hyphens.";
  if (!/^[a-z0-9]/.test(bucket) || !/[a-z0-9]$/.test(bucket))
    return "Start and end the name with a letter or digit.";
  if (bucket.includes("..")) return "Remove the two dots in a row.";
  if (bucket.includes(".-") || bucket.includes("-.")) return "Do not put a dot next to a hyphen.";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket) && bucket.split(".").every((p) => Number(p) <= 255))
    return "A bucket name cannot be formatted like an IP address.";
  if (
    bucket.startsWith("xn--") ||
    bucket.startsWith("sthree-") ||
    bucket.endsWith("-s3alias") ||
    bucket.endsWith("--ol-s3")
  )
    return "A bucket name cannot start with xn-- or sthree-, nor end with -s3alias or --ol-s3.";
  return undefined;
}

/** Fields of the S3 form that can carry a message, in the order they appear. */
export const S3_FIELDS = [
  "name",
  "endpoint",
  "accountId",
  "region",
  "bucket",
  "prefix",
  "transferAcceleration",
  "credentials",
  "accessKeyId",
  "secretAccessKey",
  "profile",
  "storageClass",
  "sse",
  "kmsKeyId",
] as const;

export type S3Field = (typeof S3_FIELDS)[number];

export type S3DestinationErrors = Partial<Record<S3Field, string>>;

export function isS3Field(field: string | null | undefined): field is S3Field {
  return S3_FIELDS.includes(field as S3Field);
}

/** Which fields the form shows for a provider. */
export function s3FieldApplies(provider: S3Provider, field: S3Field): boolean {
  switch (field) {
    case "endpoint":
      return provider === "custom";
    case "accountId":
      return provider === "r2";
    case "region":
      return provider !== "r2";
    case "transferAcceleration":
      return provider === "aws";
    case "sse":
    case "kmsKeyId":
    case "credentials":
    case "profile":
      return provider !== "r2";
    default:
      return true;
  }
}

export function validateS3Destination(
  provider: S3Provider,
  v: S3FormValues,
): S3DestinationErrors {
  const errors: S3DestinationErrors = {};
  const name = validateName(v.name);
  if (name) errors.name = name;

  if (provider === "custom") {
    const endpoint = v.endpoint.trim();
    if (endpoint.length === 0) errors.endpoint = "Enter the server's URL.";
    // The engine's rule: an http(s) URL of at least 10 characters ("http://ab" is too short).
    else if (!/^https?:\/\/[^\s/]+\S*$/.test(endpoint) || endpoint.length < 10)
      errors.endpoint =
        "Enter a URL starting with https:// or http://, such as https://s3.eu-central-003.backblazeb2.com.";
  }
  if (provider === "r2") {
    const account = v.accountId.trim();
    if (account.length === 0) errors.accountId = "Enter the Cloudflare account ID.";
    else if (!/^[0-9a-fA-F]{32}$/.test(account))
      errors.accountId =
        "The account ID is 32 hexadecimal characters (Cloudflare dashboard, R2 overview).";
  }
  if (provider === "aws") {
    const region = v.region.trim();
    if (region.length === 0) errors.region = "Enter the bucket's region.";
    else if (!/^[a-z0-9-]+$/.test(region))
      errors.region = "Use a region code such as eu-west-1: lower-case letters, digits and hyphens.";
  }

  const bucket = validateBucketName(v.bucket);
  if (bucket) errors.bucket = bucket;

  const segments = v.prefix.trim().split("/");
  if (segments.some((s) => s === "." || s === ".."))
    errors.prefix = "Remove the . and .. parts of the prefix.";
  else if (/[\\\u0000-\u001f\u007f-\u009f]/.test(v.prefix.trim()))
    errors.prefix = "A prefix cannot contain backslashes or control characters.";

  if (provider !== "r2" && v.defaultCredentials) {
    const profile = v.profile.trim();
    if (profile && !/^[A-Za-z0-9._@+-]+$/.test(profile))
      errors.profile = "A profile name of ~/.aws/config has no spaces, such as backup.";
  } else {
    if (v.accessKeyId.trim().length === 0) errors.accessKeyId = "Enter the access key ID.";
    if (v.secretAccessKey.trim().length === 0)
      errors.secretAccessKey = "Enter the secret access key.";
  }

  const classes = provider === "r2" ? R2_STORAGE_CLASSES : STORAGE_CLASSES.map((c) => c.id);
  if (!classes.includes(v.storageClass))
    errors.storageClass =
      provider === "r2"
        ? "R2 offers only STANDARD and STANDARD_IA."
        : "Choose one of the storage classes listed.";
  return errors;
}
