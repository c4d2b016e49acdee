export const NAME_MAX = 64;

export type LocalDestinationErrors = { name?: string; path?: string };

/** True for "/srv/backups", "C:\\Backups" or "D:/Backups". */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path);
}

export function validateLocalDestination(input: {
  name: string;
  path: string;
}): LocalDestinationErrors {
  const errors: LocalDestinationErrors = {};
  const name = input.name.trim();
  const path = input.path.trim();
  if (name.length === 0) errors.name = "Enter a name.";
  else if ([...name].length > NAME_MAX) errors.name = `Use at most ${NAME_MAX} characters.`;
  if (path.length === 0) errors.path = "Enter the folder path.";
  else if (!isAbsolutePath(path))
    errors.path = "Use an absolute path, such as /mnt/nas/backups or C:\\Backups.";
  return errors;
}
