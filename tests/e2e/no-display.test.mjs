// Started without any display, the app must say so and exit with code 2 instead of
// letting GTK abort.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { env } from "./lib.mjs";

const LIMIT_MS = 20_000;

/** Runs a program to completion; kills it after `limitMs` and says so in the result. */
function runBounded(file, args, options, limitMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, limitMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

test("exits with code 2 and says so when there is no display", { timeout: LIMIT_MS + 10_000 }, async () => {
  const dir = await mkdtemp(path.join(env.scratch, "no-display-"));
  const childEnv = { ...process.env };
  delete childEnv.DISPLAY;
  delete childEnv.WAYLAND_DISPLAY;
  childEnv.DBACKUP_DATA_DIR = path.join(dir, "data");
  childEnv.DBACKUP_LOG_DIR = path.join(dir, "logs");

  const started = Date.now();
  const result = await runBounded(env.appBin, [], { env: childEnv }, LIMIT_MS);
  const report = JSON.stringify(
    { ...result, seconds: (Date.now() - started) / 1000 },
    null,
    2,
  );

  assert.equal(result.timedOut, false, `the app was still running after ${LIMIT_MS} ms: ${report}`);
  assert.equal(result.code, 2, `unexpected exit: ${report}`);
  assert.match(result.stderr, /no display/i, `stderr lacks "no display": ${report}`);
});
