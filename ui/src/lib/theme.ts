import type { Theme } from "../bindings";

/** Applies the theme setting: "system" follows the desktop (see the CSS media queries). */
export function applyTheme(theme: Theme) {
  const root = document.documentElement;
  if (theme === "system") delete root.dataset.theme;
  else root.dataset.theme = theme;
}
