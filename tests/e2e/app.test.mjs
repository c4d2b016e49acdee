// Drives the real desktop app: run through tests/e2e/run.sh (Xvfb, D-Bus session, tauri-driver).
// The tests share one app session and run in order: the first expects the fresh, empty store
// run.sh provides; the later ones build on the destination the second adds.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { promisify } from "node:util";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  By,
  Key,
  byTestId,
  cliFails,
  cliJson,
  domText,
  env,
  fieldError,
  quitApp,
  retype,
  screenshot,
  startApp,
  topLevelWindows,
  waitForFieldError,
  waitForNoTestId,
  waitForTestId,
  waitUntil,
  withFailureScreenshot,
} from "./lib.mjs";

const EMPTY_HEADING = "No destinations yet - add one";
const DESTINATION = "E2E NAS";

/** Waits until the destinations table has a row whose name cell reads `name`; returns the row. */
async function waitForDestinationRow(driver, name, timeoutMs = 10_000) {
  let row = null;
  await waitUntil(
    driver,
    async () => {
      for (const candidate of await driver.findElements(byTestId("destination-row"))) {
        const cell = await candidate.findElements(By.css(".cell-name"));
        if (cell.length && (await domText(cell[0])) === name && (await cell[0].isDisplayed())) {
          row = candidate;
          return true;
        }
      }
      return false;
    },
    timeoutMs,
    `no destination row named "${name}" appeared within ${timeoutMs} ms`,
  );
  return row;
}

async function openAddDialog(driver) {
  // The header button once the list has entries, the empty state's button before that.
  const button = await waitForTestId(driver, "add-destination");
  await button.click();
  await waitForTestId(driver, "add-destination-dialog");
  return {
    name: await waitForTestId(driver, "destination-name"),
    path: await waitForTestId(driver, "destination-path"),
    submit: await waitForTestId(driver, "submit-destination"),
  };
}

describe("DBackup desktop app", { timeout: 360_000 }, () => {
  let driver;

  before(async () => {
    driver = await startApp();
  });

  after(async () => {
    await quitApp(driver);
  });

  /** A test that leaves ARTIFACTS/FAILED-<name>.png behind when it fails. */
  const step = (name, fn) => test(name, withFailureScreenshot(() => driver, name, fn));

  step("launches with the empty state", async (t) => {
    assert.equal(await driver.getTitle(), "DBackup");

    const empty = await waitForTestId(driver, "empty-destinations", 20_000);
    const text = await empty.getText();
    assert.ok(text.includes(EMPTY_HEADING), `empty state text was: ${JSON.stringify(text)}`);
    const heading = await empty.findElement(By.css("h2"));
    assert.equal((await heading.getText()).trim(), EMPTY_HEADING);

    // The engine answered, and with the data dir run.sh set up, not the user's.
    await waitUntil(
      driver,
      async () => {
        const status = await waitForTestId(driver, "engine-status");
        return (await status.getText()).includes("Engine running");
      },
      10_000,
      "the sidebar never reported the engine as running",
    );
    const dataDir = await waitForTestId(driver, "data-dir");
    assert.equal(await dataDir.getAttribute("title"), process.env.DBACKUP_DATA_DIR);

    await screenshot(driver, "destinations-empty");

    // The native window title, as the window manager sees it.
    let windows;
    try {
      windows = await topLevelWindows();
    } catch (e) {
      t.diagnostic(`xwininfo unavailable (${e.message}); native title not checked`);
      return;
    }
    assert.ok(
      windows.some((w) => w.name === "DBackup"),
      `no top-level X window titled "DBackup"; found ${JSON.stringify(windows)}`,
    );
  });

  step("adds a local folder destination through the form", async () => {
    const folder = await mkdtemp(path.join(env.scratch, "dest-"));
    const fields = await openAddDialog(driver);

    // Empty form: both fields are required (client-side validation).
    await fields.submit.click();
    assert.match(await waitForFieldError(driver, fields.name, "Name"), /enter a name/i);
    assert.match(await waitForFieldError(driver, fields.path, "Folder path"), /enter the folder path/i);

    // A relative path is refused before anything is sent to the engine.
    await fields.name.sendKeys(DESTINATION);
    await retype(fields.path, "backups/relative");
    await fields.submit.click();
    const pathError = await waitForFieldError(driver, fields.path, "Folder path");
    assert.match(pathError, /absolute path/i);
    assert.equal(await fields.path.getAttribute("aria-invalid"), "true");
    assert.equal(await fieldError(driver, fields.name), null, "the valid name still shows an error");
    await screenshot(driver, "add-destination-relative-path");

    await retype(fields.path, folder);
    await waitUntil(
      driver,
      async () => (await fieldError(driver, fields.path)) === null,
      5_000,
      "the path error stayed after entering an absolute path",
    );
    await screenshot(driver, "add-destination-dialog");
    await fields.submit.click();

    await waitForNoTestId(driver, "add-destination-dialog");
    // The confirmation toast goes away after 4 s: check it first.
    const notice = await waitForTestId(driver, "notice");
    assert.match(await notice.getText(), new RegExp(`Added .${DESTINATION}.`));
    const row = await waitForDestinationRow(driver, DESTINATION);
    const rowText = await row.getText();
    assert.ok(rowText.includes("Local folder"), `row text: ${JSON.stringify(rowText)}`);
    const location = await row.findElement(By.css(".cell-location"));
    assert.equal(await location.getAttribute("title"), folder);
    await waitForNoTestId(driver, "empty-destinations");
    await screenshot(driver, "destination-added");

    // The app really stored it: the CLI reads the same state database.
    const list = await cliJson("destination", "list");
    assert.ok(Array.isArray(list), `unexpected CLI output: ${JSON.stringify(list)}`);
    const stored = list.filter((d) => d.name === DESTINATION);
    assert.equal(stored.length, 1, `CLI listed: ${JSON.stringify(list)}`);
    assert.equal(stored[0].kind, "local");
    assert.equal(stored[0].location, folder);
    assert.equal(await row.getAttribute("data-id"), stored[0].id);

    // The same name again: the engine refuses it and the form shows why, at the Name field.
    const other = await mkdtemp(path.join(env.scratch, "dest-"));
    const again = await openAddDialog(driver);
    await again.name.sendKeys(DESTINATION);
    await again.path.sendKeys(other);
    await again.submit.click();
    const nameError = await waitForFieldError(driver, again.name, "Name");
    assert.match(nameError, /already exists/i);
    assert.ok(nameError.includes(DESTINATION), `name error: ${JSON.stringify(nameError)}`);
    assert.equal(await again.name.getAttribute("aria-invalid"), "true");
    assert.equal(await fieldError(driver, again.path), null, "the path shows an error too");
    await screenshot(driver, "add-destination-duplicate-name");

    // Nothing was added by the refused attempt.
    assert.equal((await cliJson("destination", "list")).length, 1);

    // Cancel leaves the list as it was.
    const cancel = await driver.findElement(
      By.xpath('//*[@data-testid="add-destination-dialog"]//button[normalize-space()="Cancel"]'),
    );
    await cancel.click();
    await waitForNoTestId(driver, "add-destination-dialog");
    assert.equal((await driver.findElements(byTestId("destination-row"))).length, 1);
  });

  step("adds an S3-compatible destination: a wrong secret is explained, edited, then its secret goes to the keyring", async (t) => {
    const endpoint = process.env.DBACKUP_TEST_S3_ENDPOINT;
    const access = process.env.DBACKUP_TEST_S3_ACCESS_KEY;
    const secret = process.env.DBACKUP_TEST_S3_SECRET_KEY;
    if (!endpoint || !access || !secret) {
      assert.notEqual(process.env.DBACKUP_TEST_S3_REQUIRED, "1", "no S3 test server configured");
      t.skip("no S3 test server (run through scripts/test)");
      return;
    }
    const bucket = `e2e-${process.pid}`;
    // Create the bucket with a signed request (the app never creates buckets).
    await promisify(execFile)(
      "curl",
      [
        "-sf", "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", `${access}:${secret}`,
        "-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        `${endpoint}/${bucket}`,
      ],
      { timeout: 20_000 },
    );
    const name = "E2E Ceph";
    await (await waitForTestId(driver, "add-destination")).click();
    await waitForTestId(driver, "add-destination-dialog");
    await (await waitForTestId(driver, "kind-s3-compatible")).click();
    await (await waitForTestId(driver, "destination-name")).sendKeys(name);
    await (await waitForTestId(driver, "s3-endpoint")).sendKeys(endpoint);
    await (await waitForTestId(driver, "s3-bucket")).sendKeys(bucket);
    await (await waitForTestId(driver, "s3-prefix")).sendKeys("laptop");
    await (await waitForTestId(driver, "s3-access-key-id")).sendKeys(access);
    // A mistyped secret first: saving does not reach the server, Test connection does.
    await (await waitForTestId(driver, "s3-secret-access-key")).sendKeys("not-the-secret");
    await screenshot(driver, "add-s3-destination-dialog");
    await (await waitForTestId(driver, "submit-destination")).click();
    await waitForNoTestId(driver, "add-destination-dialog", 20_000);
    let row = await waitForDestinationRow(driver, name);
    await row.findElement(byTestId("test-destination")).click();
    const dialog = await waitForTestId(driver, "test-destination-dialog");
    await waitUntil(
      driver,
      async () => /Secret Access Key is wrong/.test(await domText(dialog)),
      60_000,
      "Test connection did not explain the wrong secret",
      300,
    );
    assert.ok(!(await domText(dialog)).includes("not-the-secret"), "the secret was echoed");
    await screenshot(driver, "destination-test-wrong-secret");
    await driver.findElement(By.xpath('//*[@data-testid="test-destination-dialog"]//button[normalize-space()="Close"]')).click();
    await waitForNoTestId(driver, "test-destination-dialog");

    // Edited: only the secret is typed again; everything else is kept.
    row = await waitForDestinationRow(driver, name);
    await row.findElement(byTestId("edit-destination")).click();
    await waitForTestId(driver, "add-destination-dialog");
    assert.equal(await (await waitForTestId(driver, "s3-bucket")).getAttribute("value"), bucket);
    await retype(await waitForTestId(driver, "s3-secret-access-key"), secret);
    await (await waitForTestId(driver, "submit-destination")).click();
    await waitForNoTestId(driver, "add-destination-dialog", 20_000);
    await waitForDestinationRow(driver, name);
    await screenshot(driver, "s3-destination-added");

    // The CLI, sharing the app's state and keyring, can use it: the secret is in the keyring.
    const stored = (await cliJson("destination", "list")).find((d) => d.name === name);
    assert.equal(stored.kind, "s3");
    assert.ok(stored.location.includes(`s3://${bucket}/laptop/`), stored.location);
    const report = await cliJson("destination", "test", name);
    const outcomes = report.actions.map((a) => `${a.action}=${a.outcome}`);
    assert.deepEqual(outcomes, [
      "s3:PutObject=ok",
      "s3:GetObject=ok",
      "s3:ListBucket=ok",
      "s3:DeleteObject=ok",
    ]);
    assert.ok(!JSON.stringify(stored).includes(secret), "the secret came back over the CLI");
  });

  step("tests a destination whose server takes requests and never answers: told so within its own wait", async () => {
    // Like a Ceph cluster holding writes back while an OSD is full: connections are
    // accepted, requests read, nothing ever answered.
    const held = new Set();
    const silent = net.createServer((socket) => {
      held.add(socket);
      socket.on("data", () => {});
      socket.on("close", () => held.delete(socket));
    });
    await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const name = "Silent S3";
    try {
      await (await waitForTestId(driver, "add-destination")).click();
      await waitForTestId(driver, "add-destination-dialog");
      await (await waitForTestId(driver, "kind-s3-compatible")).click();
      await (await waitForTestId(driver, "destination-name")).sendKeys(name);
      await (await waitForTestId(driver, "s3-endpoint")).sendKeys(`http://127.0.0.1:${silent.address().port}`);
      await (await waitForTestId(driver, "s3-bucket")).sendKeys("held-bucket");
      await (await waitForTestId(driver, "s3-access-key-id")).sendKeys("AKIASILENTSERVER0000");
      await (await waitForTestId(driver, "s3-secret-access-key")).sendKeys("silent-secret-never-shown");
      await (await waitForTestId(driver, "submit-destination")).click();
      await waitForNoTestId(driver, "add-destination-dialog", 20_000);
      let row = await waitForDestinationRow(driver, name);
      const started = Date.now();
      await row.findElement(byTestId("test-destination")).click();
      const dialog = await waitForTestId(driver, "test-destination-dialog");
      // Two waits of 10 s and a retry's backoff; a backup's own wait would be minutes.
      await waitUntil(
        driver,
        async () => /did not answer within/.test(await domText(dialog)),
        60_000,
        "Test connection did not report the silent server",
        500,
      );
      const took = Date.now() - started;
      assert.ok(took >= 10_000, `reported after ${took} ms, before its wait ran out`);
      const text = await domText(dialog);
      assert.match(text, /did not answer within 10 s, twice/);
      assert.match(text, /The server did not answer, so nothing else was checked/);
      assert.match(text, /Not checked/);
      assert.ok(!text.includes("silent-secret-never-shown"), "the secret was echoed");
      await screenshot(driver, "destination-test-silent-server");
      await driver.findElement(By.xpath('//*[@data-testid="test-destination-dialog"]//button[normalize-space()="Close"]')).click();
      await waitForNoTestId(driver, "test-destination-dialog");

      // Removed again, so the steps below see the destinations they expect.
      row = await waitForDestinationRow(driver, name);
      await row.findElement(byTestId("remove-destination")).click();
      await (await waitForTestId(driver, "confirm-action")).click();
      await waitForNoTestId(driver, "remove-destination-dialog", 20_000);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  const sections = [
    { id: "sources", title: "Sources", content: "empty-sources" },
    { id: "jobs", title: "Jobs", content: "empty-jobs" },
    { id: "runs", title: "Runs", content: "empty-runs" },
    { id: "explorer", title: "Storage Explorer", content: "empty-explorer" },
    { id: "settings", title: "Settings", content: "about-card" },
  ];

  step("visits each sidebar section", async (t) => {
    for (const section of sections) {
      const name = `section ${section.title}`;
      await t.test(section.title, withFailureScreenshot(() => driver, name, async () => {
        const nav = await waitForTestId(driver, `nav-${section.id}`);
        await nav.click();
        await waitForTestId(driver, section.content);
        const heading = await driver.findElement(By.css(".page-header__title"));
        assert.equal(await heading.getText(), section.title);
        assert.equal(await nav.getAttribute("aria-current"), "page");
        if (section.id === "settings") {
          const about = await driver.findElement(byTestId("about-card"));
          const text = await about.getText();
          assert.ok(
            text.includes(process.env.DBACKUP_DATA_DIR),
            `the About card does not show the data dir: ${JSON.stringify(text)}`,
          );
          assert.ok(text.includes(process.env.DBACKUP_LOG_DIR), "the About card lacks the log dir");
        }
        await screenshot(driver, `section-${section.title.toLowerCase().replace(/\s+/g, "-")}`);
      }));
    }

    // And back: the destinations added earlier are still listed.
    await (await waitForTestId(driver, "nav-destinations")).click();
    await waitForDestinationRow(driver, DESTINATION);
  });

  step("runs the jobs' schedules while open, notifies a failure; a second scheduler is refused", async () => {
    // Notifications are D-Bus calls on the session bus: watch for them.
    const monitor = spawn("dbus-monitor", [
      "--session",
      "interface='org.freedesktop.Notifications',member='Notify'",
    ]);
    let notifications = "";
    monitor.stdout.on("data", (chunk) => (notifications += chunk));
    after(() => monitor.kill());

    const folder = path.join(env.scratch, "scheduled-notes");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "note.txt"), "backed up by the app's scheduler\n");
    await cliJson("source", "add-folder", "--name", "E2E notes", "--path", folder);
    await cliJson(
      "job", "create", "--name", "e2e-minutely", "--source", "E2E notes",
      "--to", DESTINATION, "--schedule", "* * * * *", "--no-encryption",
    );
    // A job whose folder disappears after it was set up: its runs fail.
    const gone = path.join(env.scratch, "unplugged-drive");
    await mkdir(gone, { recursive: true });
    await cliJson("source", "add-folder", "--name", "E2E unplugged", "--path", gone);
    await cliJson(
      "job", "create", "--name", "e2e-failing", "--source", "E2E unplugged",
      "--to", DESTINATION, "--schedule", "* * * * *", "--no-encryption",
    );
    await rm(gone, { recursive: true });

    // The app holds the scheduler lock, so a daemon on the same state is refused, by name.
    const refused = await cliFails("daemon");
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /another scheduler already runs/);
    assert.match(refused.stderr, /the DBackup app \(process \d+\)/);

    // The next minute comes, and the app runs the job on schedule.
    await waitUntil(
      driver,
      async () => {
        const ok = await cliJson("history", "--job", "e2e-minutely");
        const bad = await cliJson("history", "--job", "e2e-failing");
        return (
          ok.runs.some((r) => r.trigger === "schedule" && r.status === "success") &&
          bad.runs.some((r) => r.status !== "running")
        );
      },
      100_000,
      "the app did not run both per-minute jobs within 100 s",
      500,
    );
    const failed = await cliJson("history", "--job", "e2e-failing");
    assert.equal(failed.runs[0].status, "failed", JSON.stringify(failed.runs[0]));
    assert.match(failed.runs[0].error.message, /does not exist/);
    // The failure reached the desktop as a notification naming the job and the reason.
    await waitUntil(
      driver,
      async () => notifications.includes("Backup failed: e2e-failing"),
      20_000,
      `no failure notification on the session bus; saw: ${notifications.slice(0, 2000)}`,
      200,
    );
    assert.match(notifications, /does not exist/);
    assert.ok(!notifications.includes("e2e-minutely"), "a success was notified though the job did not ask");
  });

  step("shows jobs and runs, runs a job now, previews retention and locks a backup", async () => {
    // Stop the per-minute schedules so that only this test starts runs from here on.
    for (const name of ["e2e-minutely", "e2e-failing"]) await cliJson("job", "pause", name);
    await waitUntil(
      driver,
      async () => !(await cliJson("job", "list")).some((j) => j.running),
      60_000,
      "a scheduled run did not end within 60 s",
      300,
    );
    // Jobs: both per-minute jobs, with their last runs.
    await (await waitForTestId(driver, "nav-jobs")).click();
    const jobRow = async (name) => {
      let found = null;
      await waitUntil(
        driver,
        async () => {
          for (const row of await driver.findElements(byTestId("job-row"))) {
            if ((await row.getAttribute("data-name")) === name) {
              found = row;
              return true;
            }
          }
          return false;
        },
        10_000,
        `no job row for ${name}`,
      );
      return found;
    };
    const failing = await domText(await jobRow("e2e-failing"));
    assert.match(failing, /Failed/);
    assert.match(failing, /NOT encrypted/);
    assert.match(failing, /does not exist/);
    await screenshot(driver, "jobs");

    // Run now, then watch it finish in Runs.
    await (await jobRow("e2e-minutely")).findElement(byTestId("run-now")).click();
    await waitUntil(
      driver,
      async () => {
        const history = await cliJson("history", "--job", "e2e-minutely");
        return history.runs.some((r) => r.trigger === "manual" && r.status === "success");
      },
      60_000,
      "the run started with Run now did not succeed within 60 s",
      300,
    );
    await (await waitForTestId(driver, "nav-runs")).click();
    await waitUntil(
      driver,
      async () => {
        for (const row of await driver.findElements(byTestId("run-row"))) {
          const text = await domText(row);
          if (text.includes("e2e-minutely") && text.includes("Run now") && text.includes("Success"))
            return true;
        }
        return false;
      },
      10_000,
      "the Runs screen does not show the manual run",
    );
    const failedRow = await driver.findElement(By.css('[data-testid="run-row"][data-status="failed"]'));
    assert.match(await domText(failedRow), /does not exist/);
    await screenshot(driver, "runs");

    // Retention preview: every backup kept, with the reason.
    await (await waitForTestId(driver, "nav-jobs")).click();
    await (await jobRow("e2e-minutely")).findElement(byTestId("retention-preview-button")).click();
    await waitForTestId(driver, "retention-dialog");
    await waitUntil(
      driver,
      async () => (await driver.findElements(byTestId("retention-decision"))).length >= 2,
      15_000,
      "the retention preview lists no backups",
    );
    const decisions = await driver.findElements(byTestId("retention-decision"));
    for (const d of decisions) {
      assert.equal(await d.getAttribute("data-keep"), "true");
      assert.match(await domText(d), /retention is off/);
    }
    await screenshot(driver, "retention-preview");
    await driver.actions().sendKeys(Key.ESCAPE).perform();
    await waitForNoTestId(driver, "retention-dialog");

    // Explorer: the backups on the NAS; lock one, and the lock is in its manifest.
    await (await waitForTestId(driver, "nav-explorer")).click();
    const picker = await waitForTestId(driver, "explorer-destination");
    await picker.findElement(By.xpath(`./option[normalize-space()="${DESTINATION}"]`)).click();
    await waitForTestId(driver, "backups-table", 10_000);
    const first = (await driver.findElements(byTestId("backup-row")))[0];
    const object = await first.getAttribute("data-object");
    await first.findElement(byTestId("lock")).click();
    await waitUntil(
      driver,
      async () => (await driver.findElements(By.css(`[data-object="${object}"] [data-testid="locked"]`))).length === 1,
      10_000,
      "the backup does not show as locked",
    );
    await screenshot(driver, "explorer");
    const listed = await cliJson("backup", "list");
    assert.equal(listed.find((b) => b.object === object).locked, true);
  });
});
