// Helpers for the end-to-end tests. The environment comes from tests/e2e/run.sh.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { Builder, By, Key, error, until } from "selenium-webdriver";

export { By, Key, until };

const run = promisify(execFile);

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the end-to-end tests through tests/e2e/run.sh`);
  }
  return value;
}

export const env = {
  get appBin() {
    return required("APP_BIN");
  },
  get cliBin() {
    return required("CLI_BIN");
  },
  get webdriverUrl() {
    return required("WEBDRIVER_URL");
  },
  get artifacts() {
    return required("ARTIFACTS");
  },
  /** A scratch folder that run.sh removes afterwards. */
  get scratch() {
    return required("E2E_TMP");
  },
};

/** Launches the app through tauri-driver and returns the WebDriver session. */
export async function startApp() {
  const capabilities = {
    browserName: "wry",
    "tauri:options": { application: env.appBin },
  };
  const driver = await new Builder()
    .usingServer(env.webdriverUrl)
    .withCapabilities(capabilities)
    .build();
  try {
    // Finding elements waits for nothing by itself: every wait below is explicit and bounded.
    await driver.manage().setTimeouts({ implicit: 0, pageLoad: 30_000, script: 10_000 });
    // A build without the custom-protocol feature loads the dev server URL instead of the
    // bundled UI (and shows "Could not connect"); plain `cargo build` produces such a binary.
    const url = await driver.getCurrentUrl();
    if (/^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(url)) {
      throw new Error(
        `the app loaded ${url} (the dev server) instead of its bundled UI: ${env.appBin} was built ` +
          "without the custom-protocol feature. Rebuild it with: npm --prefix ui ci && " +
          "npm --prefix ui run build && cargo build --features custom-protocol --bin dbackup-desktop",
      );
    }
  } catch (e) {
    await quitApp(driver);
    throw e;
  }
  return driver;
}

/** Ends the session (closing the app); never throws, so it is safe in `after` hooks. */
export async function quitApp(driver) {
  if (!driver) return;
  try {
    await driver.quit();
  } catch (e) {
    console.error(`e2e: quitting the WebDriver session failed: ${e.message}`);
  }
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/**
 * Waits until `condition()` returns a truthy value and returns it. While React re-renders,
 * WebKitWebDriver can report elements (even in findElements) as stale: such a poll just counts
 * as "not yet".
 */
export async function waitUntil(driver, condition, timeoutMs, message, pollMs = 0) {
  return driver.wait(
    async () => {
      try {
        return await condition();
      } catch (e) {
        if (e instanceof error.StaleElementReferenceError || e instanceof error.NoSuchElementError) {
          return false;
        }
        throw e;
      }
    },
    timeoutMs,
    message,
    pollMs,
  );
}

/** Waits until an element with this data-testid is present and visible; returns it. */
export async function waitForTestId(driver, id, timeoutMs = 10_000) {
  return waitUntil(
    driver,
    async () => {
      for (const element of await driver.findElements(byTestId(id))) {
        if (await element.isDisplayed()) return element;
      }
      return false;
    },
    timeoutMs,
    `no visible element with data-testid="${id}" appeared within ${timeoutMs} ms`,
  );
}

/** Waits until no element with this data-testid is present. */
export async function waitForNoTestId(driver, id, timeoutMs = 10_000) {
  await waitUntil(
    driver,
    async () => (await driver.findElements(byTestId(id))).length === 0,
    timeoutMs,
    `the element with data-testid="${id}" was still there after ${timeoutMs} ms`,
  );
}

/**
 * Saves the page as ARTIFACTS/<name>.png (WebDriver) and the whole X screen, with whatever
 * native window parts there are, as ARTIFACTS/<name>-screen.png (imagemagick's `import`).
 */
export async function screenshot(driver, name) {
  const dir = env.artifacts;
  await mkdir(dir, { recursive: true });
  const page = path.join(dir, `${name}.png`);
  // WebKitWebDriver never answers for a hidden window (closed to the tray): bound the wait.
  let timer;
  const image = await Promise.race([
    driver.takeScreenshot(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`screenshot ${name}: no answer within 20 s (window hidden?)`)), 20_000);
    }),
  ]).finally(() => clearTimeout(timer));
  await writeFile(page, Buffer.from(image, "base64"));
  const screen = path.join(dir, `${name}-screen.png`);
  try {
    await run("import", ["-window", "root", screen], { timeout: 15_000 });
  } catch (e) {
    // The page screenshot is the one tests rely on; a failed screen grab is reported, not fatal.
    console.error(`e2e: full-screen capture ${screen} failed: ${e.message}`);
  }
  return { page, screen };
}

/** Runs the `dbackup` CLI with --json against the same data dir as the app; returns parsed stdout. */
export async function cliJson(...args) {
  const { stdout } = await run(env.cliBin, ["--json", ...args], {
    timeout: 20_000,
    env: process.env,
  });
  return JSON.parse(stdout);
}

/** Runs the CLI expecting it to fail; returns {code, stderr}. */
export async function cliFails(...args) {
  try {
    await run(env.cliBin, args, { timeout: 20_000, env: process.env });
  } catch (e) {
    if (e.killed) throw new Error(`dbackup ${args.join(" ")} did not end within 20 s`);
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`dbackup ${args.join(" ")} succeeded, but it should have failed`);
}

/** Lists the top-level X windows as [{id, name}] (needs xwininfo from x11-utils). */
export async function topLevelWindows() {
  const { stdout } = await run("xwininfo", ["-root", "-children"], { timeout: 10_000 });
  const windows = [];
  for (const line of stdout.split("\n")) {
    // e.g.   0x200003 "DBackup": ("dbackup-desktop" "Dbackup-desktop")  1120x740+80+30  +80+30
    const m = line.match(/^\s+(0x[0-9a-f]+) (?:"((?:[^"\\]|\\.)*)"|\(has no name\))/);
    if (m) windows.push({ id: m[1], name: m[2] ?? null });
  }
  return windows;
}

/** Replaces an input's value the way a user would (React sees each keystroke). */
export async function retype(element, text) {
  await element.sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
  if (text) await element.sendKeys(text);
}

/**
 * The inline error message associated with an input via aria-describedby (what a screen reader
 * announces with the field), or null when there is none.
 */
export async function fieldError(driver, input) {
  const describedBy = (await input.getAttribute("aria-describedby")) ?? "";
  for (const id of describedBy.split(/\s+/).filter(Boolean)) {
    const found = await driver.findElements(By.id(id));
    if (found.length === 0) continue;
    const cls = (await found[0].getAttribute("class")) ?? "";
    if (cls.split(/\s+/).includes("field__error")) return found[0];
  }
  return null;
}

/** Waits for an input's inline error and returns its text. */
export async function waitForFieldError(driver, input, what, timeoutMs = 10_000) {
  return waitUntil(
    driver,
    async () => {
      const el = await fieldError(driver, input);
      if (!el || !(await el.isDisplayed())) return false;
      return (await el.getText()) || (await domText(el)) || false;
    },
    timeoutMs,
    `no inline error appeared for the ${what} field within ${timeoutMs} ms`,
  );
}

/**
 * An element's text as the DOM has it. WebKitWebDriver's getText() (the Selenium visible-text
 * atom) returns "" for text directly inside an `overflow: hidden` element even when it is plainly
 * on screen (e.g. the destinations table's name cell), so match on textContent and check
 * visibility separately with isDisplayed().
 */
export async function domText(element) {
  return ((await element.getAttribute("textContent")) ?? "").trim();
}

/**
 * Wraps a test body so a failure leaves ARTIFACTS/FAILED-<name>.png behind; `getDriver` is
 * called at failure time, since the session may be created after the wrapper.
 */
export function withFailureScreenshot(getDriver, name, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      const driver = getDriver();
      if (driver) {
        const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
        await screenshot(driver, `FAILED-${slug}`).catch((err) =>
          console.error(`e2e: failure screenshot failed: ${err.message}`),
        );
      }
      throw e;
    }
  };
}
