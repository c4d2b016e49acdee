import type { NewS3Destination, R2Jurisdiction, S3Provider, SseMode } from "../bindings";

/** AWS regions offered as suggestions; any other region code can still be typed. */
export const AWS_REGIONS: readonly { code: string; label: string }[] = [
  { code: "us-east-1", label: "US East (N. Virginia)" },
  { code: "us-east-2", label: "US East (Ohio)" },
  { code: "us-west-1", label: "US West (N. California)" },
  { code: "us-west-2", label: "US West (Oregon)" },
  { code: "ca-central-1", label: "Canada (Central)" },
  { code: "eu-west-1", label: "Europe (Ireland)" },
  { code: "eu-west-2", label: "Europe (London)" },
  { code: "eu-west-3", label: "Europe (Paris)" },
  { code: "eu-central-1", label: "Europe (Frankfurt)" },
  { code: "eu-central-2", label: "Europe (Zurich)" },
  { code: "eu-north-1", label: "Europe (Stockholm)" },
  { code: "eu-south-1", label: "Europe (Milan)" },
  { code: "eu-south-2", label: "Europe (Spain)" },
  { code: "ap-south-1", label: "Asia Pacific (Mumbai)" },
  { code: "ap-south-2", label: "Asia Pacific (Hyderabad)" },
  { code: "ap-southeast-1", label: "Asia Pacific (Singapore)" },
  { code: "ap-southeast-2", label: "Asia Pacific (Sydney)" },
  { code: "ap-southeast-3", label: "Asia Pacific (Jakarta)" },
  { code: "ap-southeast-4", label: "Asia Pacific (Melbourne)" },
  { code: "ap-northeast-1", label: "Asia Pacific (Tokyo)" },
  { code: "ap-northeast-2", label: "Asia Pacific (Seoul)" },
  { code: "ap-northeast-3", label: "Asia Pacific (Osaka)" },
  { code: "ap-east-1", label: "Asia Pacific (Hong Kong)" },
  { code: "sa-east-1", label: "South America (São Paulo)" },
  { code: "me-south-1", label: "Middle East (Bahrain)" },
  { code: "me-central-1", label: "Middle East (UAE)" },
  { code: "af-south-1", label: "Africa (Cape Town)" },
  { code: "il-central-1", label: "Israel (Tel Aviv)" },
  { code: "mx-central-1", label: "Mexico (Central)" },
];

/** The region an S3-compatible server gets when none is given (the engine's default too). */
export const CUSTOM_DEFAULT_REGION = "us-east-1";

export type StorageClassOption = {
  id: string;
  useCase: string;
  /** The S3 page's relative cost hint, "$" (cheapest to keep) to "$$$$". */
  cost: string;
  /** The cost hint in words, for screen readers and tooltips. */
  costLabel: string;
};

/** The storage classes the engine accepts, with the S3 page's use case and cost hint. */
export const STORAGE_CLASSES: readonly StorageClassOption[] = [
  { id: "STANDARD", useCase: "Frequent access", cost: "$$$$", costLabel: "highest storage cost" },
  { id: "STANDARD_IA", useCase: "Infrequent access", cost: "$$$", costLabel: "high storage cost" },
  {
    id: "INTELLIGENT_TIERING",
    useCase: "Unknown or changing access",
    cost: "$$-$$$$",
    costLabel: "storage cost follows access",
  },
  {
    id: "GLACIER_IR",
    useCase: "Archive, read in milliseconds",
    cost: "$$",
    costLabel: "low storage cost",
  },
  { id: "GLACIER", useCase: "Archive (hours to retrieve)", cost: "$$", costLabel: "low storage cost" },
  {
    id: "DEEP_ARCHIVE",
    useCase: "Long-term archive (12h+ retrieve)",
    cost: "$",
    costLabel: "lowest storage cost",
  },
];

/** Cloudflare R2 accepts only these. */
export const R2_STORAGE_CLASSES: readonly string[] = ["STANDARD", "STANDARD_IA"];

export const DEFAULT_STORAGE_CLASS = "STANDARD";

export function storageClassesFor(provider: S3Provider): readonly StorageClassOption[] {
  return provider === "r2"
    ? STORAGE_CLASSES.filter((c) => R2_STORAGE_CLASSES.includes(c.id))
    : STORAGE_CLASSES;
}

export const SSE_OPTIONS: readonly { id: SseMode; label: string; detail: string }[] = [
  { id: "bucket_default", label: "Bucket default", detail: "Whatever the bucket is set to do" },
  { id: "s3_managed", label: "SSE-S3 (AES256)", detail: "AES256 with keys the storage service manages" },
  { id: "kms", label: "SSE-KMS", detail: "Keys held in a key management service (AWS KMS)" },
];

export const R2_JURISDICTIONS: readonly { id: R2Jurisdiction; label: string }[] = [
  { id: "default", label: "Default" },
  { id: "eu", label: "EU" },
  { id: "fedramp", label: "FedRAMP" },
];

/** What the S3 part of the form holds, as typed. */
export type S3FormValues = {
  name: string;
  region: string;
  bucket: string;
  prefix: string;
  endpoint: string;
  pathStyle: boolean;
  accountId: string;
  jurisdiction: R2Jurisdiction;
  accessKeyId: string;
  secretAccessKey: string;
  /** The AWS default credential chain instead of a key (Amazon S3 and S3-compatible). */
  defaultCredentials: boolean;
  profile: string;
  storageClass: string;
  sse: SseMode;
  kmsKeyId: string;
  transferAcceleration: boolean;
  /** Plain HTTP beyond this computer and private networks, chosen with a warning. */
  allowPlainHttp: boolean;
};

export const EMPTY_S3_FORM: S3FormValues = {
  name: "",
  region: "",
  bucket: "",
  prefix: "",
  endpoint: "",
  pathStyle: true,
  accountId: "",
  jurisdiction: "default",
  accessKeyId: "",
  secretAccessKey: "",
  defaultCredentials: false,
  profile: "",
  storageClass: DEFAULT_STORAGE_CLASS,
  sse: "bucket_default",
  kmsKeyId: "",
  transferAcceleration: false,
  allowPlainHttp: false,
};

/**
 * The command input for the form: fields that do not apply to the provider are null (or
 * false / empty where the type has no null). The keys are sent as typed: the engine trims
 * them and says so in a notice, because a pasted key with spaces is a common mistake.
 */
export function buildS3Input(provider: S3Provider, v: S3FormValues): NewS3Destination {
  const aws = provider === "aws";
  const r2 = provider === "r2";
  const custom = provider === "custom";
  const sse: SseMode = r2 ? "bucket_default" : v.sse;
  const kmsKeyId = sse === "kms" ? v.kmsKeyId.trim() : "";
  const chain = !r2 && v.defaultCredentials;
  return {
    name: v.name.trim(),
    provider,
    region: aws ? v.region.trim() : custom ? v.region.trim() || CUSTOM_DEFAULT_REGION : "",
    bucket: v.bucket.trim(),
    prefix: v.prefix.trim(),
    endpoint: custom ? v.endpoint.trim() : null,
    pathStyle: custom ? v.pathStyle : false,
    accountId: r2 ? v.accountId.trim() : null,
    jurisdiction: r2 ? v.jurisdiction : null,
    accessKeyId: chain ? "" : v.accessKeyId,
    secretAccessKey: chain ? "" : v.secretAccessKey,
    credentials: chain ? "default_chain" : "access_key",
    profile: chain ? v.profile.trim() || null : null,
    storageClass: v.storageClass,
    sse,
    kmsKeyId: kmsKeyId || null,
    transferAcceleration: aws ? v.transferAcceleration : false,
    allowPlainHttp: custom && needsPlainHttpChoice(v.endpoint) ? v.allowPlainHttp : false,
  };
}

/**
 * Whether an endpoint is plain HTTP to a server beyond this computer and private networks:
 * only then does the engine need the explicit choice (its rule is
 * s3_destination::is_local_or_private; this mirrors it so the choice is offered only
 * where it matters, and the engine still decides).
 */
export function needsPlainHttpChoice(endpoint: string): boolean {
  const rest = endpoint.trim().match(/^http:\/\/(.*)$/i)?.[1];
  if (rest === undefined) return false;
  const authority = (rest.split(/[/?#]/)[0] ?? "").split("@").pop() ?? "";
  const host = (authority.startsWith("[") ? authority.slice(1).split("]")[0] : authority.split(":")[0])
    ?.replace(/\.$/, "")
    .toLowerCase() ?? "";
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local")) return false;
  const v4 = host.match(/^(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    const local = a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
    return !local;
  }
  if (host.includes(":")) {
    const local = host === "::1" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host);
    return !local;
  }
  return true;
}

/** Engine messages start in lower case so they compose in logs; show sentences. */
export function asSentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
