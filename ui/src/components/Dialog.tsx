import { useEffect, useId, useRef, type ReactNode, type RefObject } from "react";
import { createPortal } from "react-dom";
import { X } from "lucide-react";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

type DialogProps = {
  title: ReactNode;
  description?: ReactNode;
  children?: ReactNode;
  onClose: () => void;
  /** Element focused when the dialog opens; defaults to the first focusable element. */
  initialFocus?: RefObject<HTMLElement | null>;
  /** "alertdialog" for confirmations. */
  role?: "dialog" | "alertdialog";
  /** Whether a click on the dimmed backdrop closes the dialog. */
  dismissOnBackdrop?: boolean;
  /** While busy, Escape and the close button do nothing. */
  busy?: boolean;
  size?: "sm" | "md" | "lg";
  /**
   * The body fills the height-limited dialog without scrolling itself, so its content can
   * keep a part in view (a form's buttons) and scroll the rest (see .form--dialog).
   */
  fillBody?: boolean;
  testId?: string;
};

/**
 * A modal dialog: focus moves into it on open, Tab stays inside, Escape closes, and focus
 * returns to whatever had it before.
 */
export function Dialog({
  title,
  description,
  children,
  onClose,
  initialFocus,
  role = "dialog",
  dismissOnBackdrop = false,
  busy = false,
  size = "md",
  fillBody = false,
  testId,
}: DialogProps) {
  const panelRef = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const busyRef = useRef(busy);
  busyRef.current = busy;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const panel = panelRef.current;
    const target =
      initialFocus?.current ?? panel?.querySelector<HTMLElement>(FOCUSABLE) ?? panel;
    target?.focus();
    return () => {
      if (previous && document.contains(previous)) previous.focus();
    };
    // Focus only on open.
  }, []);

  function onKeyDown(e: React.KeyboardEvent) {
    if (e.key === "Escape") {
      e.stopPropagation();
      if (!busyRef.current) onCloseRef.current();
      return;
    }
    if (e.key !== "Tab" || !panelRef.current) return;
    const items = Array.from(panelRef.current.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
      (el) => !el.hasAttribute("aria-hidden"),
    );
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  return createPortal(
    <div
      className="dialog-backdrop"
      onMouseDown={(e) => {
        if (dismissOnBackdrop && !busy && e.target === e.currentTarget) onClose();
      }}
    >
      <div
        ref={panelRef}
        className={`dialog dialog--${size}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descId : undefined}
        tabIndex={-1}
        onKeyDown={onKeyDown}
        data-testid={testId}
      >
        <header className="dialog__header">
          <div>
            <h2 id={titleId} className="dialog__title">
              {title}
            </h2>
            {description && (
              <p id={descId} className="dialog__description">
                {description}
              </p>
            )}
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label="Close"
            onClick={onClose}
            disabled={busy}
          >
            <X size={16} aria-hidden />
          </button>
        </header>
        {children && (
          <div className={`dialog__body${fillBody ? " dialog__body--fill" : ""}`}>{children}</div>
        )}
      </div>
    </div>,
    document.body,
  );
}
