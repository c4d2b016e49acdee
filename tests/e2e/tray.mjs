// The tray menu as the desktop sees it: libayatana-appindicator exports it on the session bus
// as com.canonical.dbusmenu. These helpers find the app's menu, read it and click its items,
// as a panel would.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

async function gdbus(...args) {
  const { stdout } = await run("gdbus", args, { timeout: 10_000, env: process.env });
  return stdout;
}

async function busNames() {
  const out = await gdbus(
    "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
    "--method", "org.freedesktop.DBus.ListNames",
  );
  return [...out.matchAll(/'(:[0-9.]+)'/g)].map((m) => m[1]);
}

async function pidOf(name) {
  const out = await gdbus(
    "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
    "--method", "org.freedesktop.DBus.GetConnectionUnixProcessID", name,
  );
  return Number(/uint32 (\d+)/.exec(out)?.[1]);
}

/** The object paths under `name` that implement com.canonical.dbusmenu. */
async function menuPaths(name) {
  let out;
  try {
    out = await gdbus("introspect", "--session", "--dest", name, "--object-path", "/", "--recurse");
  } catch {
    return [];
  }
  const paths = [];
  let current = null;
  for (const line of out.split("\n")) {
    const node = /^\s*node (\/\S*) \{/.exec(line);
    if (node) current = node[1];
    if (current && line.includes("interface com.canonical.dbusmenu")) paths.push(current);
  }
  return paths;
}

/** Finds the tray menu of process `pid` (or of any process when null). */
export async function findTrayMenu(pid) {
  for (const name of await busNames()) {
    if (pid != null && (await pidOf(name)) !== pid) continue;
    const [path] = await menuPaths(name);
    if (path) return { name, path };
  }
  return null;
}

/** The menu's items, flattened: {id, label, enabled}. */
export async function trayItems(menu) {
  const out = await gdbus(
    "call", "--session", "--dest", menu.name, "--object-path", menu.path,
    // "--" ends the options: -1 is the depth (the whole tree), not a flag.
    "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]",
  );
  const items = [];
  // Each item reads `(ID, {'label': <'Text'>, 'enabled': <false>, ...}, [children])`.
  for (const m of out.matchAll(/\((\d+), \{([^{}]*)\}/g)) {
    const props = m[2];
    const label = /'label': <'((?:[^'\\]|\\.)*)'>/.exec(props)?.[1];
    if (label === undefined) continue;
    items.push({
      id: Number(m[1]),
      label,
      enabled: !/'enabled': <false>/.test(props),
    });
  }
  return items;
}

/** Clicks an item, as a panel does when the user picks it. */
export async function clickTrayItem(menu, id) {
  await gdbus(
    "call", "--session", "--dest", menu.name, "--object-path", menu.path,
    "--method", "com.canonical.dbusmenu.Event", "--", String(id), "clicked", "<0>", "0",
  );
}

/**
 * Clicks the item labelled `label`, reading the menu just before. The menu is rebuilt when
 * jobs or the pause state change, which renumbers its items: a click that lands between a
 * read and such a rebuild is retried, within `timeoutMs`.
 */
export async function clickTrayLabel(menu, label, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const item = (await trayItems(menu)).find((i) => i.label === label);
    try {
      if (!item) throw new Error(`the tray menu has no item "${label}"`);
      await clickTrayItem(menu, item.id);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      // The next read sees the current menu; nothing to wait for but the call itself.
    }
  }
}
