import { useState, type ReactNode, type Ref } from "react";
import { CircleAlert, Eye, EyeOff } from "lucide-react";

/** Joins the ids of the elements that describe a control, skipping the absent ones. */
export function describedBy(...parts: (string | false | null | undefined)[]): string | undefined {
  return parts.filter(Boolean).join(" ") || undefined;
}

export function FieldError({ id, message }: { id: string; message?: string | undefined }) {
  if (!message) return null;
  return (
    <p id={id} className="field__error" role="alert">
      <CircleAlert size={13} aria-hidden />
      <span>{message}</span>
    </p>
  );
}

/** A field label, with an "Optional" tag kept outside the label so it is not part of the name. */
export function FieldLabel({
  htmlFor,
  id,
  optional,
  children,
}: {
  htmlFor?: string;
  id?: string;
  optional?: boolean;
  children: ReactNode;
}) {
  const label = htmlFor ? (
    <label className="field__label" htmlFor={htmlFor} id={id}>
      {children}
    </label>
  ) : (
    <span className="field__label" id={id}>
      {children}
    </span>
  );
  if (!optional) return label;
  return (
    <div className="field__label-row">
      {label}
      <span className="field__optional">Optional</span>
    </div>
  );
}

type TextFieldProps = {
  id: string;
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: ReactNode;
  /** Ids of other elements that describe the input (e.g. a shared note). */
  describedByIds?: string[];
  optional?: boolean;
  inputRef?: Ref<HTMLInputElement>;
  mono?: boolean;
  type?: "text" | "password" | "url";
  placeholder?: string;
  readOnly?: boolean;
  list?: string;
  name?: string;
  testId?: string;
  /** Rendered inside the input's box, at its end (e.g. a reveal button). */
  adornment?: ReactNode;
  className?: string;
};

/** A labelled text input with its inline error and hint, wired for assistive technology. */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  describedByIds = [],
  optional,
  inputRef,
  mono,
  type = "text",
  placeholder,
  readOnly,
  list,
  name,
  testId,
  adornment,
  className,
}: TextFieldProps) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const input = (
    <input
      ref={inputRef}
      id={id}
      name={name}
      className={`input${mono ? " input--mono" : ""}${adornment ? " input--with-adornment" : ""}`}
      type={type}
      autoComplete="off"
      autoCapitalize="off"
      autoCorrect="off"
      spellCheck={false}
      placeholder={placeholder}
      value={value}
      list={list}
      onChange={(e) => onChange(e.target.value)}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy(error && errorId, hint != null && hintId, ...describedByIds)}
      readOnly={readOnly}
      data-testid={testId}
    />
  );
  return (
    <div className={`field${className ? ` ${className}` : ""}`}>
      <FieldLabel htmlFor={id} optional={optional}>
        {label}
      </FieldLabel>
      {adornment ? (
        <div className="input-group">
          {input}
          <div className="input-group__adornment">{adornment}</div>
        </div>
      ) : (
        input
      )}
      <FieldError id={errorId} message={error} />
      {hint != null && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  );
}

type ToggleProps = {
  id: string;
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  error?: string | undefined;
  disabled?: boolean;
  inputRef?: Ref<HTMLInputElement>;
  testId?: string;
};

/** An on/off switch: a native checkbox with the switch role, its label and hint. */
export function Toggle({
  id,
  label,
  checked,
  onChange,
  hint,
  error,
  disabled,
  inputRef,
  testId,
}: ToggleProps) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  return (
    <div className="toggle-field">
      <label className="toggle" htmlFor={id}>
        <input
          ref={inputRef}
          id={id}
          type="checkbox"
          role="switch"
          className="toggle__input"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
          disabled={disabled}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(error && errorId, hint != null && hintId)}
          data-testid={testId}
        />
        <span className="toggle__track" aria-hidden />
        <span className="toggle__label">{label}</span>
      </label>
      {hint != null && (
        <p id={hintId} className="field__hint toggle-field__hint">
          {hint}
        </p>
      )}
      {error && (
        <div className="toggle-field__error">
          <FieldError id={errorId} message={error} />
        </div>
      )}
    </div>
  );
}

/** A titled group of fields. */
export function FormSection({
  id,
  title,
  children,
  testId,
}: {
  id: string;
  title: string;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <div className="form-section" role="group" aria-labelledby={id} data-testid={testId}>
      <h3 className="form-section__title" id={id}>
        {title}
      </h3>
      {children}
    </div>
  );
}

/**
 * A password field with a show/hide button. Secrets typed here go to the OS keyring; the
 * app never shows a stored one again.
 */
export function SecretField({
  revealLabel,
  ...props
}: Omit<TextFieldProps, "type" | "adornment" | "mono"> & {
  /** The reveal button's accessible name, e.g. "Show secret access key". */
  revealLabel: string;
}) {
  const [revealed, setRevealed] = useState(false);
  return (
    <TextField
      {...props}
      mono
      type={revealed ? "text" : "password"}
      adornment={
        <button
          type="button"
          className="icon-button icon-button--small"
          aria-label={revealLabel}
          aria-pressed={revealed}
          aria-controls={props.id}
          title={revealed ? "Hide" : "Show"}
          onClick={() => setRevealed((r) => !r)}
          data-testid={props.testId ? `${props.testId}-reveal` : undefined}
        >
          {revealed ? <EyeOff size={14} aria-hidden /> : <Eye size={14} aria-hidden />}
        </button>
      }
    />
  );
}

type SelectFieldProps<V extends string> = {
  id: string;
  label: ReactNode;
  value: V;
  options: { value: V; label: string }[];
  onChange: (value: V) => void;
  hint?: ReactNode;
  error?: string | undefined;
  disabled?: boolean;
  testId?: string;
  selectRef?: Ref<HTMLSelectElement>;
};

/** A labelled native select with its hint and inline error. */
export function SelectField<V extends string>({
  id,
  label,
  value,
  options,
  onChange,
  hint,
  error,
  disabled,
  testId,
  selectRef,
}: SelectFieldProps<V>) {
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <FieldLabel htmlFor={id}>{label}</FieldLabel>
      <select
        ref={selectRef}
        id={id}
        className="input select"
        value={value}
        onChange={(e) => onChange(e.target.value as V)}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(error && errorId, hint != null && hintId)}
        data-testid={testId}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldError id={errorId} message={error} />
      {hint != null && (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
    </div>
  );
}
