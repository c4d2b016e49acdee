import { TriangleAlert } from "lucide-react";
import { Toggle } from "../../components/Form";

/** The explicit choice to take data out of a backup that is not encrypted. */
export function UnencryptedChoice({
  id,
  checked,
  onChange,
  disabled,
}: {
  id: string;
  checked: boolean;
  onChange: (next: boolean) => void;
  disabled: boolean;
}) {
  return (
    <>
      <p className="field__hint field__hint--warning" data-testid={`${id}-warning`}>
        <TriangleAlert size={13} aria-hidden /> This backup is not encrypted, so anyone who can
        write to the destination could have made or changed it. Use it only if you know where it
        came from.
      </p>
      <Toggle
        id={id}
        label="I know where this backup came from: use it"
        checked={checked}
        onChange={onChange}
        disabled={disabled}
        testId={id}
      />
    </>
  );
}
