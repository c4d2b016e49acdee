import { useId, useRef } from "react";
import type { LucideIcon } from "lucide-react";

export type TileOption<Id extends string> = {
  id: Id;
  label: string;
  detail: string;
  icon: LucideIcon;
};

/**
 * A radio group shown as tiles (an icon, a label and a line of detail). Arrow keys move and
 * choose, as in a native radio group; only the chosen tile is in the Tab order.
 */
export function TilePicker<Id extends string>({
  label,
  options,
  value,
  onChange,
  disabled,
  testId,
}: {
  /** The group's accessible name, e.g. "Destination kind". */
  label: string;
  options: TileOption<Id>[];
  value: Id;
  onChange: (id: Id) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const baseId = useId();

  function onKeyDown(e: React.KeyboardEvent, index: number) {
    if (!["ArrowRight", "ArrowDown", "ArrowLeft", "ArrowUp"].includes(e.key)) return;
    e.preventDefault();
    const step = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : -1;
    const next = (index + step + options.length) % options.length;
    refs.current[next]?.focus();
    const option = options[next];
    if (option && !disabled) onChange(option.id);
  }

  return (
    <div className="kind-picker" role="radiogroup" aria-label={label} data-testid={testId}>
      {options.map((option, index) => {
        const Icon = option.icon;
        const checked = option.id === value;
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
            aria-disabled={disabled ? true : undefined}
            tabIndex={checked ? 0 : -1}
            className={`kind-option${checked ? " kind-option--checked" : ""}`}
            onClick={() => {
              if (!disabled) onChange(option.id);
            }}
            onKeyDown={(e) => onKeyDown(e, index)}
            data-testid={`kind-${option.id}`}
          >
            <span className="kind-option__icon" aria-hidden>
              <Icon size={16} />
            </span>
            <span className="kind-option__text">
              <span className="kind-option__label" id={`${baseId}-${option.id}-label`}>
                {option.label}
              </span>
              <span className="kind-option__detail" id={`${baseId}-${option.id}-detail`}>
                {option.detail}
              </span>
            </span>
          </button>
        );
      })}
    </div>
  );
}
