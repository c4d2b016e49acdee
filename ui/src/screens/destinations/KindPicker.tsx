import { useId, useRef } from "react";
import { Cloud, Folder, Server, type LucideIcon } from "lucide-react";

export type KindOptionId = "local" | "s3" | "r2" | "s3-compatible";

type KindOption = {
  id: KindOptionId;
  label: string;
  detail: string;
  icon: LucideIcon;
  available: boolean;
};

export const KIND_OPTIONS: KindOption[] = [
  {
    id: "local",
    label: "Local folder",
    detail: "A disk or NAS mount",
    icon: Folder,
    available: true,
  },
  { id: "s3", label: "Amazon S3", detail: "AWS buckets, any region", icon: Cloud, available: true },
  { id: "r2", label: "Cloudflare R2", detail: "Zero egress fees", icon: Cloud, available: true },
  {
    id: "s3-compatible",
    label: "S3-compatible",
    detail: "MinIO, Ceph, Garage, B2, Wasabi…",
    icon: Server,
    available: true,
  },
];

/**
 * A radio group of destination kinds, shown as tiles of destination kinds. Kinds that are not supported yet stay
 * visible (and focusable, so their tooltip can be read) but cannot be chosen.
 */
export function KindPicker({
  value,
  onChange,
  disabled,
}: {
  value: KindOptionId;
  onChange: (id: KindOptionId) => void;
  disabled?: boolean;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const baseId = useId();

  function onKeyDown(e: React.KeyboardEvent, index: number) {
    if (!["ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp"].includes(e.key)) return;
    e.preventDefault();
    const step = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : -1;
    const next = (index + step + KIND_OPTIONS.length) % KIND_OPTIONS.length;
    refs.current[next]?.focus();
    const option = KIND_OPTIONS[next];
    if (option?.available && !disabled) onChange(option.id);
  }

  return (
    <div className="kind-picker" role="radiogroup" aria-label="Destination kind" data-testid="kind-picker">
      {KIND_OPTIONS.map((option, index) => {
        const Icon = option.icon;
        const checked = option.id === value;
        const soon = !option.available;
        return (
          <button
            key={option.id}
            ref={(el) => {
              refs.current[index] = el;
            }}
            type="button"
            role="radio"
            aria-checked={checked}
            aria-labelledby={`${baseId}-${option.id}-label`}
            aria-describedby={`${baseId}-${option.id}-detail`}
            aria-disabled={soon || disabled ? true : undefined}
            tabIndex={checked ? 0 : -1}
            className={`kind-option${checked ? " kind-option--checked" : ""}${soon ? " kind-option--soon" : ""}`}
            title={soon ? `${option.label} destinations are coming in a later version` : undefined}
            onClick={() => {
              if (option.available && !disabled) onChange(option.id);
            }}
            onKeyDown={(e) => onKeyDown(e, index)}
            data-testid={`kind-${option.id}`}
          >
            <span className="kind-option__icon" aria-hidden>
              <Icon size={16} />
            </span>
            <span className="kind-option__text">
              <span className="kind-option__label" id={`${baseId}-${option.id}-label`}>{option.label}</span>
              <span className="kind-option__detail" id={`${baseId}-${option.id}-detail`}>{option.detail}</span>
            </span>
            {soon && (
              <span className="soon-tag" aria-hidden>
                Soon
              </span>
            )}
          </button>
        );
      })}
    </div>
  );
}
