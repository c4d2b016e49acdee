import { useId } from "react";
import { Info, LockKeyhole } from "lucide-react";
import type { R2Jurisdiction, S3Provider, SseMode } from "../../bindings";
import {
  FieldError,
  FieldLabel,
  FormSection,
  SecretField,
  TextField,
  Toggle,
  describedBy,
} from "../../components/Form";
import {
  AWS_REGIONS,
  CUSTOM_DEFAULT_REGION,
  R2_JURISDICTIONS,
  SSE_OPTIONS,
  needsPlainHttpChoice,
  storageClassesFor,
  type S3FormValues,
} from "../../lib/s3";
import type { S3DestinationErrors, S3Field } from "../../lib/validation";

type S3DestinationFieldsProps = {
  provider: S3Provider;
  values: S3FormValues;
  errors: S3DestinationErrors;
  onChange: <K extends keyof S3FormValues>(key: K, value: S3FormValues[K]) => void;
  /** Registers the element to focus for a field's error. */
  fieldRef: (field: S3Field) => (el: HTMLElement | null) => void;
  busy: boolean;
  /** Editing a destination whose secret is in the keyring: an empty field keeps it. */
  secretStored?: boolean;
};

const ACCESS_KEY_PLACEHOLDER: Record<S3Provider, string> = {
  aws: "AKIA…",
  r2: "32 hexadecimal characters",
  custom: "Access key",
};

/**
 * The connection, credentials and storage fields of an Amazon S3, Cloudflare R2 or
 * S3-compatible destination. Only the fields that apply to the provider are shown.
 */
export function S3DestinationFields({
  provider,
  values,
  errors,
  onChange,
  fieldRef,
  busy,
  secretStored = false,
}: S3DestinationFieldsProps) {
  const base = useId();
  const id = (part: string) => `${base}-${part}`;
  const aws = provider === "aws";
  const r2 = provider === "r2";
  const custom = provider === "custom";
  const classes = storageClassesFor(provider);

  const bucketField = (
    <TextField
      id={id("bucket")}
      label="Bucket"
      value={values.bucket}
      onChange={(v) => onChange("bucket", v)}
      error={errors.bucket}
      hint="3-63 characters: a-z, 0-9, dots, hyphens."
      inputRef={fieldRef("bucket")}
      mono
      placeholder="my-backups"
      readOnly={busy}
      name="bucket"
      testId="s3-bucket"
    />
  );

  return (
    <>
      <FormSection id={id("connection")} title="Connection" testId="s3-connection">
        {custom && (
          <TextField
            id={id("endpoint")}
            label="Endpoint URL"
            value={values.endpoint}
            onChange={(v) => onChange("endpoint", v)}
            error={errors.endpoint}
            hint="The server's S3 address, such as https://s3.eu-central-003.backblazeb2.com or http://nas.local:9000."
            inputRef={fieldRef("endpoint")}
            mono
            type="url"
            placeholder="https://s3.example.com"
            readOnly={busy}
            name="endpoint"
            testId="s3-endpoint"
          />
        )}
        {custom && needsPlainHttpChoice(values.endpoint) && (
          <Toggle
            id={id("plain-http")}
            label="Allow plain HTTP to this server"
            checked={values.allowPlainHttp}
            onChange={(v) => onChange("allowPlainHttp", v)}
            hint="Without HTTPS, anyone on the network path can read and change your backups. Needed only for a server beyond this computer and your private network; use https:// where the server has it."
            disabled={busy}
            testId="s3-allow-plain-http"
          />
        )}

        {r2 && (
          <TextField
            id={id("account")}
            label="Account ID"
            value={values.accountId}
            onChange={(v) => onChange("accountId", v)}
            error={errors.accountId}
            hint="32 hexadecimal characters, shown on the R2 overview page of the Cloudflare dashboard."
            inputRef={fieldRef("accountId")}
            mono
            placeholder="0123456789abcdef0123456789abcdef"
            readOnly={busy}
            name="accountId"
            testId="r2-account-id"
          />
        )}

        <div className="field-row">
          {r2 ? (
            <div className="field">
              <FieldLabel htmlFor={id("jurisdiction")}>Jurisdiction</FieldLabel>
              <select
                id={id("jurisdiction")}
                name="jurisdiction"
                className="input select"
                value={values.jurisdiction}
                onChange={(e) => onChange("jurisdiction", e.target.value as R2Jurisdiction)}
                disabled={busy}
                aria-describedby={id("jurisdiction-hint")}
                data-testid="r2-jurisdiction"
              >
                {R2_JURISDICTIONS.map((j) => (
                  <option key={j.id} value={j.id}>
                    {j.label}
                  </option>
                ))}
              </select>
              <p id={id("jurisdiction-hint")} className="field__hint">
                Where the bucket keeps its data. Must match the bucket.
              </p>
            </div>
          ) : (
            <>
              <TextField
                id={id("region")}
                label="Region"
                optional={custom}
                value={values.region}
                onChange={(v) => onChange("region", v)}
                error={errors.region}
                hint={
                  aws
                    ? "The region the bucket was created in."
                    : `Defaults to ${CUSTOM_DEFAULT_REGION}; some providers want their own.`
                }
                inputRef={fieldRef("region")}
                mono
                placeholder={aws ? "us-east-1" : CUSTOM_DEFAULT_REGION}
                readOnly={busy}
                list={aws ? id("regions") : undefined}
                name="region"
                testId="s3-region"
              />
              {aws && (
                <datalist id={id("regions")} data-testid="aws-regions">
                  {AWS_REGIONS.map((r) => (
                    <option key={r.code} value={r.code} label={r.label} />
                  ))}
                </datalist>
              )}
            </>
          )}
          {bucketField}
        </div>

        <TextField
          id={id("prefix")}
          label="Path prefix"
          optional
          value={values.prefix}
          onChange={(v) => onChange("prefix", v)}
          error={errors.prefix}
          hint="Folder within the bucket, such as backups/db. Empty stores at the bucket root."
          inputRef={fieldRef("prefix")}
          mono
          placeholder="backups/"
          readOnly={busy}
          name="prefix"
          testId="s3-prefix"
        />

        {custom && (
          <Toggle
            id={id("path-style")}
            label="Path-style addressing"
            checked={values.pathStyle}
            onChange={(v) => onChange("pathStyle", v)}
            hint="Reach the bucket as endpoint/bucket rather than bucket.endpoint. Most self-hosted servers (MinIO, Ceph, Garage) need it."
            disabled={busy}
            testId="s3-path-style"
          />
        )}

        {aws && (
          <Toggle
            id={id("acceleration")}
            label="Transfer Acceleration"
            checked={values.transferAcceleration}
            onChange={(v) => onChange("transferAcceleration", v)}
            hint="Faster uploads over long distances through AWS edge locations. The bucket must have it enabled; AWS charges extra."
            error={errors.transferAcceleration}
            disabled={busy}
            inputRef={fieldRef("transferAcceleration")}
            testId="s3-acceleration"
          />
        )}
      </FormSection>

      <FormSection id={id("credentials")} title="Credentials" testId="s3-credentials">
        {!r2 && (
          <Toggle
            id={id("default-credentials")}
            label="Use the AWS default credential chain"
            checked={values.defaultCredentials}
            onChange={(v) => onChange("defaultCredentials", v)}
            hint="No key stored here: the instance or container role (IAM roles, as AWS recommends), an ~/.aws profile, SSO, or AWS_ACCESS_KEY_ID in DBackup's environment."
            error={errors.credentials}
            disabled={busy}
            inputRef={fieldRef("credentials")}
            testId="s3-default-credentials"
          />
        )}
        {!r2 && values.defaultCredentials ? (
          <TextField
            id={id("profile")}
            label="Profile"
            optional
            value={values.profile}
            onChange={(v) => onChange("profile", v)}
            error={errors.profile}
            inputRef={fieldRef("profile")}
            mono
            placeholder="default"
            hint="A profile of ~/.aws/config; empty uses AWS_PROFILE, else the default profile."
            readOnly={busy}
            name="profile"
            testId="s3-profile"
          />
        ) : (
          <>
            <div className="field-row">
              <TextField
                id={id("access-key")}
                label="Access Key ID"
                value={values.accessKeyId}
                onChange={(v) => onChange("accessKeyId", v)}
                error={errors.accessKeyId}
                inputRef={fieldRef("accessKeyId")}
                mono
                placeholder={ACCESS_KEY_PLACEHOLDER[provider]}
                readOnly={busy}
                name="accessKeyId"
                testId="s3-access-key-id"
              />
              <SecretField
                id={id("secret")}
                label="Secret Access Key"
                value={values.secretAccessKey}
                onChange={(v) => onChange("secretAccessKey", v)}
                error={errors.secretAccessKey}
                describedByIds={[id("keyring-note")]}
                inputRef={fieldRef("secretAccessKey")}
                placeholder={secretStored ? "Stored: leave empty to keep it" : "••••••••"}
                readOnly={busy}
                name="secretAccessKey"
                testId="s3-secret-access-key"
                revealLabel="Show secret access key"
              />
            </div>
            <p id={id("keyring-note")} className="field__hint field__hint--with-icon">
              <LockKeyhole size={13} aria-hidden />
              <span>The secret key is stored in the OS keyring, never in DBackup's database.</span>
            </p>
          </>
        )}
      </FormSection>

      <FormSection id={id("storage")} title="Storage" testId="s3-storage">
        <div className="field">
          <FieldLabel id={id("class-label")}>Storage class</FieldLabel>
          <div
            ref={fieldRef("storageClass")}
            className={`choice-grid${classes.length <= 2 ? " choice-grid--short" : ""}`}
            role="radiogroup"
            aria-labelledby={id("class-label")}
            aria-describedby={describedBy(
              errors.storageClass && id("class-error"),
              id("class-hint"),
            )}
            aria-invalid={errors.storageClass ? true : undefined}
            data-testid="storage-classes"
          >
            {classes.map((c) => {
              const checked = values.storageClass === c.id;
              return (
                <label
                  key={c.id}
                  className={`choice${checked ? " choice--checked" : ""}`}
                  data-testid={`storage-class-${c.id}`}
                >
                  <input
                    type="radio"
                    className="choice__input"
                    name={id("storage-class")}
                    value={c.id}
                    checked={checked}
                    onChange={() => onChange("storageClass", c.id)}
                    disabled={busy}
                    aria-labelledby={id(`class-${c.id}`)}
                    aria-describedby={id(`class-${c.id}-detail`)}
                  />
                  <span className="choice__body">
                    <span className="choice__title">
                      <span className="choice__name" id={id(`class-${c.id}`)}>
                        {c.id}
                      </span>
                      <span className="choice__cost" title={c.costLabel} aria-hidden>
                        {c.cost}
                      </span>
                    </span>
                    <span className="choice__detail" id={id(`class-${c.id}-detail`)}>
                      {c.useCase}
                      <span className="visually-hidden">, {c.costLabel}</span>
                    </span>
                  </span>
                </label>
              );
            })}
          </div>
          <FieldError id={id("class-error")} message={errors.storageClass} />
          <p id={id("class-hint")} className="field__hint field__hint--with-icon">
            <Info size={13} aria-hidden />
            <span>
              {r2
                ? "Zero egress fees: downloading a backup to restore it costs nothing. R2 offers these two classes."
                : "Archive classes cost less to keep, but more and longer to restore from."}
            </span>
          </p>
        </div>

        {!r2 && (
          <div className="field">
            <FieldLabel id={id("sse-label")}>Server-side encryption</FieldLabel>
            <div
              ref={fieldRef("sse")}
              className="segmented"
              role="radiogroup"
              aria-labelledby={id("sse-label")}
              aria-describedby={describedBy(errors.sse && id("sse-error"))}
              aria-invalid={errors.sse ? true : undefined}
              data-testid="sse-modes"
            >
              {SSE_OPTIONS.map((o) => (
                <label key={o.id} className="segmented__option" title={o.detail}>
                  <input
                    type="radio"
                    className="segmented__input"
                    name={id("sse")}
                    value={o.id}
                    checked={values.sse === o.id}
                    onChange={() => onChange("sse", o.id as SseMode)}
                    disabled={busy}
                  />
                  <span className="segmented__text">{o.label}</span>
                </label>
              ))}
            </div>
            <FieldError id={id("sse-error")} message={errors.sse} />
            <p className="field__hint">
              {SSE_OPTIONS.find((o) => o.id === values.sse)?.detail}. This is the provider's
              encryption at rest, separate from DBackup's own backup encryption.
            </p>
          </div>
        )}

        {!r2 && values.sse === "kms" && (
          <TextField
            id={id("kms-key")}
            label="KMS key ID"
            optional
            value={values.kmsKeyId}
            onChange={(v) => onChange("kmsKeyId", v)}
            error={errors.kmsKeyId}
            hint="A key ID, ARN or alias. Empty uses the AWS managed key (aws/s3)."
            inputRef={fieldRef("kmsKeyId")}
            mono
            placeholder="alias/backups"
            readOnly={busy}
            name="kmsKeyId"
            testId="s3-kms-key-id"
          />
        )}
      </FormSection>
    </>
  );
}
