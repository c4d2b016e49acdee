import { Cloud, Folder, Server } from "lucide-react";
import { TilePicker, type TileOption } from "../../components/TilePicker";

export type KindOptionId = "local" | "s3" | "r2" | "s3-compatible";

export const KIND_OPTIONS: TileOption<KindOptionId>[] = [
  { id: "local", label: "Local folder", detail: "A disk or NAS mount", icon: Folder },
  { id: "s3", label: "Amazon S3", detail: "AWS buckets, any region", icon: Cloud },
  { id: "r2", label: "Cloudflare R2", detail: "Zero egress fees", icon: Cloud },
  {
    id: "s3-compatible",
    label: "S3-compatible",
    detail: "MinIO, Ceph, Garage, B2, Wasabi…",
    icon: Server,
  },
];

export function KindPicker({
  value,
  onChange,
  disabled,
}: {
  value: KindOptionId;
  onChange: (id: KindOptionId) => void;
  disabled?: boolean;
}) {
  return (
    <TilePicker
      label="Destination kind"
      options={KIND_OPTIONS}
      value={value}
      onChange={onChange}
      disabled={disabled}
      testId="kind-picker"
    />
  );
}
