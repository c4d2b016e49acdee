// A new user's whole path, in the real app: add a PostgreSQL source (a wrong password first),
// create an encrypted job in the window, run it, test the S3 destination, then verify,
// download, restore and delete backups in the Storage Explorer; run a job from the tray
// menu over D-Bus; and screenshot every screen in both themes.
// Runs after app.test.mjs in the same run.sh session: it uses the "E2E Ceph" destination
// (radosgw) that file adds, and the PostgreSQL test server from scripts/test.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import {
  By,
  byTestId,
  cliJson,
  domText,
  env,
  quitApp,
  retype,
  screenshot,
  startApp,
  waitForNoTestId,
  waitForTestId,
  waitUntil,
  withFailureScreenshot,
} from "./lib.mjs";
import { clickTrayLabel, findTrayMenu, trayItems } from "./tray.mjs";

const run = promisify(execFile);
const S3_DESTINATION = "E2E Ceph";
const SOURCE = "E2E shop";
const JOB = "e2e-shop";
const DATABASE = "e2e_shop";
const RESTORED = "e2e_shop_restored";

const pg = {
  host: process.env.DBACKUP_TEST_PG_HOST,
  port: process.env.DBACKUP_TEST_PG_PORT,
  user: process.env.DBACKUP_TEST_PG_USER,
  password: process.env.DBACKUP_TEST_PG_PASSWORD,
  bin: process.env.DBACKUP_TEST_PG_BIN,
};
const haveServers = Boolean(pg.host && process.env.DBACKUP_TEST_S3_ENDPOINT);

/** Runs SQL as the test server's admin; returns psql's unaligned output. */
async function psql(database, sql) {
  const { stdout } = await run(
    path.join(pg.bin, "psql"),
    ["-h", pg.host, "-p", pg.port, "-U", pg.user, "-d", database, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
    { env: { ...process.env, PGPASSWORD: pg.password }, timeout: 20_000 },
  );
  return stdout.trim();
}

async function rowWith(driver, testId, attribute, value, timeoutMs = 10_000) {
  let found = null;
  await waitUntil(
    driver,
    async () => {
      for (const row of await driver.findElements(byTestId(testId))) {
        const v = await row.getAttribute(attribute);
        if (v === value || (attribute === "data-object" && v?.includes(value))) {
          found = row;
          return true;
        }
      }
      return false;
    },
    timeoutMs,
    `no ${testId} with ${attribute} ${JSON.stringify(value)} within ${timeoutMs} ms`,
  );
  return found;
}

async function choose(select, value) {
  await select.findElement(By.css(`option[value="${value}"]`)).click();
}

async function nav(driver, section) {
  await (await waitForTestId(driver, `nav-${section}`)).click();
}

/** Waits for the newest operation in the explorer to end; returns its element. */
async function operationEnded(driver, kind, timeoutMs = 60_000) {
  let ended = null;
  await waitUntil(
    driver,
    async () => {
      for (const op of await driver.findElements(byTestId("operation"))) {
        if ((await op.getAttribute("data-kind")) !== kind) continue;
        const state = await op.getAttribute("data-state");
        if (state !== "running") {
          ended = op;
          return true;
        }
      }
      return false;
    },
    timeoutMs,
    `the ${kind} did not end within ${timeoutMs} ms`,
    300,
  );
  return ended;
}

/** Dismisses the finished operations one at a time: each dismissal re-renders the list. */
async function dismissOperations(driver) {
  await waitUntil(
    driver,
    async () => {
      const ops = await driver.findElements(byTestId("operation"));
      if (ops.length === 0) return true;
      await ops[0].findElement(By.css('button[aria-label="Dismiss"]')).click();
      return false;
    },
    10_000,
    "the finished operations could not all be dismissed",
    200,
  );
}

async function manualRuns() {
  const history = await cliJson("history", "--job", JOB);
  return history.runs.filter((r) => r.trigger === "manual");
}

describe("a new user's path through the window", { timeout: 420_000, skip: !haveServers && "needs scripts/test's servers" }, () => {
  let driver;
  before(async () => {
    await psql("postgres", `DROP DATABASE IF EXISTS ${DATABASE}`);
    await psql("postgres", `DROP DATABASE IF EXISTS ${RESTORED}`);
    await psql("postgres", `CREATE DATABASE ${DATABASE}`);
    await psql(
      DATABASE,
      "CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL); " +
        "INSERT INTO orders (item) SELECT 'item ' || g FROM generate_series(1, 250) g",
    );
    driver = await startApp();
  });
  after(async () => {
    await quitApp(driver);
  });
  const step = (name, fn) => test(name, withFailureScreenshot(() => driver, name, fn));

  step("adds a PostgreSQL source: a wrong password is explained, the right one connects", async () => {
    await nav(driver, "sources");
    await (await waitForTestId(driver, "add-source")).click();
    await waitForTestId(driver, "add-source-dialog");
    await (await waitForTestId(driver, "source-name")).sendKeys(SOURCE);
    await retype(await waitForTestId(driver, "source-host"), pg.host);
    await retype(await waitForTestId(driver, "source-port"), pg.port);
    await retype(await waitForTestId(driver, "source-user"), pg.user);
    await (await waitForTestId(driver, "source-password")).sendKeys("not-the-password");
    await (await waitForTestId(driver, "source-database")).sendKeys(DATABASE);
    await (await waitForTestId(driver, "test-source")).click();
    const failed = await waitForTestId(driver, "source-check-failed", 30_000);
    assert.match(await domText(failed), /password/i);
    await screenshot(driver, "source-test-failed");

    await retype(await waitForTestId(driver, "source-password"), pg.password);
    await (await waitForTestId(driver, "test-source")).click();
    const ok = await waitForTestId(driver, "source-check-ok", 30_000);
    assert.match(await domText(ok), /Connected to PostgreSQL/);
    assert.match(await domText(ok), new RegExp(DATABASE));
    await screenshot(driver, "source-test-ok");
    await (await waitForTestId(driver, "submit-source")).click();
    await waitForNoTestId(driver, "add-source-dialog", 20_000);
    const row = await rowWith(driver, "source-row", "data-name", SOURCE);
    assert.ok(!(await domText(row)).includes(pg.password), "the password is shown in the list");

    const stored = (await cliJson("source", "list")).find((s) => s.name === SOURCE);
    assert.ok(stored, "the CLI does not see the source the window added");
    assert.ok(!JSON.stringify(stored).includes(pg.password), "the password came back over the CLI");
  });

  step("creates an encrypted job in the window, with a new key and its recovery kit", async () => {
    await nav(driver, "jobs");
    await (await waitForTestId(driver, "new-job")).click();
    await waitForTestId(driver, "job-form", 15_000);
    await (await waitForTestId(driver, "job-name")).sendKeys(JOB);
    const source = (await cliJson("source", "list")).find((s) => s.name === SOURCE);
    await choose(await waitForTestId(driver, "job-source"), source.id);
    const target = await rowWith(driver, "job-target", "data-name", S3_DESTINATION);
    await target.findElement(byTestId("job-target-check")).click();
    await choose(await target.findElement(byTestId("job-retention-mode")), "none");
    await choose(await waitForTestId(driver, "job-schedule-kind"), "manual");

    // No key yet: name one and create it, then save its recovery kit.
    const keyName = await waitForTestId(driver, "new-key-name");
    await retype(keyName, "E2E key");
    await (await waitForTestId(driver, "create-key")).click();
    await waitForTestId(driver, "recovery-kit-dialog");
    const kitPath = path.join(env.scratch, "recovery-kit.txt");
    await (await waitForTestId(driver, "kit-path")).sendKeys(kitPath);
    await (await waitForTestId(driver, "save-kit")).click();
    await waitForTestId(driver, "kit-saved");
    const kit = await readFile(kitPath, "utf8");
    assert.match(kit, /DBackup recovery kit/);
    assert.match(kit, /[0-9a-f]{64}/, "the kit holds the key");
    await screenshot(driver, "recovery-kit-saved");
    await driver.findElement(By.xpath('//*[@data-testid="recovery-kit-dialog"]//button[normalize-space()="Done"]')).click();
    await waitForNoTestId(driver, "recovery-kit-dialog");
    await screenshot(driver, "job-form");

    await (await waitForTestId(driver, "save-job")).click();
    await waitForNoTestId(driver, "job-dialog", 15_000);
    const row = await rowWith(driver, "job-row", "data-name", JOB);
    assert.match(await domText(row), /encrypted with E2E key/);
    const job = (await cliJson("job", "list")).find((j) => j.name === JOB);
    assert.equal(job.keyProfileName, "E2E key");
    assert.deepEqual(job.targets.map((t) => t.destinationName), [S3_DESTINATION]);
  });

  step("runs the job now and shows the run succeed", async () => {
    const row = await rowWith(driver, "job-row", "data-name", JOB);
    await row.findElement(byTestId("run-now")).click();
    await waitUntil(driver, async () => (await manualRuns()).some((r) => r.status === "success"), 90_000,
      "the job started in the window did not succeed within 90 s", 500);
    await nav(driver, "runs");
    await waitUntil(
      driver,
      async () => {
        for (const r of await driver.findElements(byTestId("run-row"))) {
          const text = await domText(r);
          if (text.includes(JOB) && text.includes("Success")) return true;
        }
        return false;
      },
      10_000,
      "the Runs screen does not show the job's successful run",
    );
  });

  step("tests the S3 destination in the window: every action of the policy is allowed", async () => {
    await nav(driver, "destinations");
    const rows = await driver.findElements(byTestId("destination-row"));
    let row = null;
    for (const r of rows) if ((await domText(r)).includes(S3_DESTINATION)) row = r;
    assert.ok(row, "no E2E Ceph row");
    await row.findElement(byTestId("test-destination")).click();
    const report = await waitForTestId(driver, "probe-report", 60_000);
    const actions = await driver.findElements(byTestId("probe-action"));
    assert.equal(actions.length, 4);
    for (const a of actions) assert.equal(await a.getAttribute("data-outcome"), "ok", await domText(a));
    assert.equal(await report.getAttribute("data-ok"), "true");
    // Folded away when everything works, but there to copy.
    assert.match(await domText(await driver.findElement(byTestId("iam-policy"))), /s3:PutObject/);
    await screenshot(driver, "destination-test");
    await driver.findElement(By.xpath('//*[@data-testid="test-destination-dialog"]//button[normalize-space()="Close"]')).click();
    await waitForNoTestId(driver, "test-destination-dialog");
  });

  step("verifies, downloads decrypted, restores into a new database, locks and deletes", async () => {
    // A second backup, so one can be locked and the other deleted.
    await cliJson("job", "run", JOB);
    const backups = (await cliJson("backup", "list")).filter((b) => b.jobName === JOB);
    assert.equal(backups.length, 2, JSON.stringify(backups));
    const [older, newer] = backups.map((b) => b.object).sort();

    await nav(driver, "explorer");
    const picker = await waitForTestId(driver, "explorer-destination");
    await picker.findElement(By.xpath(`./option[normalize-space()="${S3_DESTINATION}"]`)).click();
    let row = await rowWith(driver, "backup-row", "data-object", older);

    await row.findElement(byTestId("verify")).click();
    const verified = await operationEnded(driver, "verify");
    assert.equal(await verified.getAttribute("data-state"), "succeeded", await domText(verified));
    assert.match(await domText(verified), /authentic/);
    // The verdict stays in the table's integrity column.
    await waitUntil(
      driver,
      async () => {
        const r = await rowWith(driver, "backup-row", "data-object", older);
        return /Verified/.test(await domText(await r.findElement(byTestId("integrity"))));
      },
      10_000,
      "the verified backup does not say so",
    );

    row = await rowWith(driver, "backup-row", "data-object", older);
    await row.findElement(byTestId("download")).click();
    await waitForTestId(driver, "download-dialog");
    const target = path.join(env.scratch, "shop.dump");
    await retype(await waitForTestId(driver, "download-path"), target);
    await (await waitForTestId(driver, "start-download")).click();
    await waitForNoTestId(driver, "download-dialog");
    const downloaded = await operationEnded(driver, "download");
    assert.equal(await downloaded.getAttribute("data-state"), "succeeded", await domText(downloaded));
    const dump = await readFile(target);
    assert.equal(dump.subarray(0, 5).toString(), "PGDMP", "the decrypted download is pg_dump's archive");

    row = await rowWith(driver, "backup-row", "data-object", older);
    await row.findElement(byTestId("restore")).click();
    await waitForTestId(driver, "restore-dialog");
    const source = (await cliJson("source", "list")).find((s) => s.name === SOURCE);
    await choose(await waitForTestId(driver, "restore-source"), source.id);
    await (await waitForTestId(driver, "restore-database")).sendKeys(RESTORED);
    await screenshot(driver, "restore-dialog");
    await (await waitForTestId(driver, "start-restore")).click();
    await waitForNoTestId(driver, "restore-dialog");
    const restored = await operationEnded(driver, "restore", 90_000);
    assert.equal(await restored.getAttribute("data-state"), "succeeded", await domText(restored));
    assert.equal(await psql(RESTORED, "SELECT count(*) FROM orders"), "250");
    assert.equal(
      await psql(RESTORED, "SELECT md5(string_agg(item, ',' ORDER BY id)) FROM orders"),
      await psql(DATABASE, "SELECT md5(string_agg(item, ',' ORDER BY id)) FROM orders"),
    );
    await screenshot(driver, "explorer-operations");
    await dismissOperations(driver);

    // Lock the older one: it cannot be deleted. Delete the newer one.
    row = await rowWith(driver, "backup-row", "data-object", older);
    await row.findElement(byTestId("lock")).click();
    await waitUntil(driver, async () => {
      const r = await rowWith(driver, "backup-row", "data-object", older);
      return !(await (await r.findElement(byTestId("delete-backup"))).isEnabled());
    }, 10_000, "the locked backup can still be deleted");
    row = await rowWith(driver, "backup-row", "data-object", newer);
    await row.findElement(byTestId("delete-backup")).click();
    await waitForTestId(driver, "delete-backup-dialog");
    await (await waitForTestId(driver, "confirm-action")).click();
    await waitForNoTestId(driver, "delete-backup-dialog", 20_000);
    await waitUntil(driver, async () => {
      for (const r of await driver.findElements(byTestId("backup-row")))
        if ((await r.getAttribute("data-object")) === newer) return false;
      return true;
    }, 10_000, "the deleted backup is still listed");
    const left = (await cliJson("backup", "list")).filter((b) => b.jobName === JOB);
    assert.deepEqual(left.map((b) => b.object), [older]);
    // Rescanning the bucket confirms it is gone there, not only from the catalog.
    await cliJson("rescan", S3_DESTINATION);
    const rescanned = (await cliJson("backup", "list")).filter((b) => b.jobName === JOB);
    assert.deepEqual(rescanned.map((b) => b.object), [older]);
  });

  step("lists the files that are not backups read-only, and bulk actions skip the locked", async () => {
    // Another tool's file beside the backups, put there with curl's own SigV4.
    const destination = (await cliJson("destination", "list")).find((d) => d.name === S3_DESTINATION);
    const [, bucket, prefix, endpoint] = /^s3:\/\/([^/]+)\/(\S*) at (\S+)$/.exec(destination.location);
    const body = "left here by another tool\n";
    await run(
      "curl",
      [
        "-fsS", "-X", "PUT", "--data-binary", body,
        "--aws-sigv4", "aws:amz:us-east-1:s3",
        "--user", `${process.env.DBACKUP_TEST_S3_ACCESS_KEY}:${process.env.DBACKUP_TEST_S3_SECRET_KEY}`,
        "-H", `x-amz-content-sha256: ${createHash("sha256").update(body).digest("hex")}`,
        `${endpoint.replace(/\/$/, "")}/${bucket}/${prefix}notes/stray.txt`,
      ],
      { timeout: 20_000 },
    );

    await nav(driver, "explorer");
    const picker = await waitForTestId(driver, "explorer-destination");
    await picker.findElement(By.xpath(`./option[normalize-space()="${S3_DESTINATION}"]`)).click();
    await (await waitForTestId(driver, "show-other-files")).click();
    const stray = await rowWith(driver, "other-file", "data-testid", "other-file");
    assert.match(await domText(stray), /notes\/stray\.txt/);
    const table = await waitForTestId(driver, "other-files-table");
    assert.equal((await table.findElements(By.css("button"))).length, 0, "other files must be read-only");

    // The one backup left is locked: a bulk delete skips it and says why.
    await (await waitForTestId(driver, "select-all")).click();
    assert.match(await domText(await waitForTestId(driver, "bulk-bar")), /1 selected/);
    await screenshot(driver, "explorer-bulk");
    await (await waitForTestId(driver, "bulk-delete")).click();
    await (await waitForTestId(driver, "confirm-action")).click();
    await waitForNoTestId(driver, "bulk-delete-dialog", 20_000);
    await waitUntil(driver, async () => {
      for (const el of await driver.findElements(By.css("[role=status]")))
        if (/0 deleted; 1 skipped \(.*locked/.test(await domText(el))) return true;
      return false;
    }, 10_000, "the bulk delete did not say it skipped the locked backup");
    assert.equal((await cliJson("backup", "list")).filter((b) => b.jobName === JOB).length, 1);
  });

  step("a backup in S3 Glacier is restored from the explorer before it is read", async (t) => {
    const moto = process.env.DBACKUP_TEST_MOTO_ENDPOINT;
    if (!moto) {
      assert.notEqual(process.env.DBACKUP_TEST_MOTO_REQUIRED, "1", "DBACKUP_TEST_MOTO_REQUIRED=1 but no moto server");
      t.skip("no moto server (radosgw has no RestoreObject)");
      return;
    }
    const bucket = `e2e-glacier-${process.pid}`;
    await run("curl", ["-sf", "-X", "PUT", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "moto:moto-secret", `${moto}/${bucket}`], {
      timeout: 20_000,
    });
    process.env.E2E_MOTO_SECRET = "moto-secret";
    await cliJson(
      "destination", "add-s3", "--name", "E2E Glacier", "--provider", "custom", "--endpoint", moto,
      "--region", "us-east-1", "--bucket", bucket, "--access-key-id", "moto", "--secret-env", "E2E_MOTO_SECRET",
      "--storage-class", "GLACIER",
    );
    const folder = path.join(env.scratch, "ledger");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "2026.csv"), "date,amount\n2026-12-01,42\n".repeat(200));
    await cliJson("source", "add-folder", "--name", "E2E ledger", "--path", folder);
    await cliJson("job", "create", "--name", "e2e-ledger", "--source", "E2E ledger", "--to", "E2E Glacier", "--manual", "--no-encryption");
    await cliJson("job", "run", "e2e-ledger");

    // The explorer lists destinations when it opens: open it afresh to see the new one.
    await nav(driver, "dashboard");
    await nav(driver, "explorer");
    let option = null;
    await waitUntil(
      driver,
      async () => {
        const picker = await waitForTestId(driver, "explorer-destination");
        [option] = await picker.findElements(By.xpath('./option[normalize-space()="E2E Glacier"]'));
        return option !== undefined;
      },
      10_000,
      "the explorer does not offer the Glacier destination",
    );
    await option.click();
    let row = await rowWith(driver, "backup-row", "data-object", "e2e-ledger");
    assert.equal(await (await row.findElement(byTestId("storage-class"))).getAttribute("data-state"), "archived");
    assert.equal(await (await row.findElement(byTestId("verify"))).isEnabled(), false, "an archived backup cannot be verified");

    await row.findElement(byTestId("glacier-restore")).click();
    await (await waitForTestId(driver, "request-glacier-restore")).click();
    await waitForNoTestId(driver, "request-glacier-restore", 20_000);
    // moto restores at once (S3 takes hours, and the app asks every 5 minutes).
    await waitUntil(
      driver,
      async () => {
        const r = await rowWith(driver, "backup-row", "data-object", "e2e-ledger");
        return (await r.findElements(byTestId("restore"))).length === 1;
      },
      20_000,
      "the restored copy did not become readable",
      300,
    );
    row = await rowWith(driver, "backup-row", "data-object", "e2e-ledger");
    assert.equal(await (await row.findElement(byTestId("storage-class"))).getAttribute("data-state"), "restored");
    await screenshot(driver, "explorer-glacier");
    await row.findElement(byTestId("verify")).click();
    const verified = await operationEnded(driver, "verify");
    assert.equal(await verified.getAttribute("data-state"), "succeeded", await domText(verified));
    await dismissOperations(driver);
  });

  step("edits the source keeping its password, and moves the configuration without secrets", async () => {
    await nav(driver, "sources");
    let row = await rowWith(driver, "source-row", "data-name", SOURCE);
    await row.findElement(byTestId("edit-source")).click();
    await waitForTestId(driver, "add-source-dialog");
    assert.equal(await (await waitForTestId(driver, "source-password")).getAttribute("value"), "");
    // Tested with the stored password, which the form never shows.
    await (await waitForTestId(driver, "test-source")).click();
    const ok = await waitForTestId(driver, "source-check-ok", 30_000);
    assert.match(await domText(ok), /Connected to PostgreSQL/);
    await retype(await waitForTestId(driver, "source-name"), `${SOURCE} (edited)`);
    await screenshot(driver, "source-edit");
    await (await waitForTestId(driver, "submit-source")).click();
    await waitForNoTestId(driver, "add-source-dialog", 20_000);
    row = await rowWith(driver, "source-row", "data-name", `${SOURCE} (edited)`);
    const tested = await cliJson("source", "test", `${SOURCE} (edited)`);
    assert.match(tested.engine, /PostgreSQL/, "the password was not kept");

    await nav(driver, "settings");
    const file = path.join(env.scratch, "moving.json");
    await retype(await waitForTestId(driver, "export-config-path"), file);
    await (await waitForTestId(driver, "export-config")).click();
    const saved = await waitForTestId(driver, "config-exported", 20_000);
    assert.match(await domText(saved), /moving\.json/);
    const text = await readFile(file, "utf8");
    assert.ok(!text.includes(pg.password), "the database password was exported");
    assert.ok(!text.includes(process.env.DBACKUP_TEST_S3_SECRET_KEY), "the S3 secret was exported");
    assert.ok(text.includes(`${SOURCE} (edited)`));

    // Importing it here again changes nothing: everything is already here.
    await retype(await waitForTestId(driver, "import-config-path"), file);
    await (await waitForTestId(driver, "preview-import")).click();
    await waitForTestId(driver, "import-report", 20_000);
    const outcomes = [];
    for (const item of await driver.findElements(byTestId("import-item")))
      outcomes.push([await item.getAttribute("data-what"), await item.getAttribute("data-outcome")]);
    const named = outcomes.filter(([what]) => what !== "settings");
    assert.ok(named.length >= 3, JSON.stringify(outcomes));
    assert.ok(named.every(([, outcome]) => outcome === "exists"), JSON.stringify(outcomes));
    assert.equal(await (await waitForTestId(driver, "apply-import")).isEnabled(), true, "preferences can still be applied");
    await screenshot(driver, "settings-import-preview");
  });

  step("the tray menu shows the status, runs a job now and pauses every schedule", async () => {
    let menu = null;
    await waitUntil(driver, async () => (menu = await findTrayMenu(null)) !== null, 20_000,
      "no tray menu (com.canonical.dbusmenu) on the session bus", 500);
    const items = await trayItems(menu);
    const labels = items.map((i) => i.label);
    for (const wanted of ["Open DBackup", "Run now", "Pause all schedules", "Quit DBackup", JOB])
      assert.ok(labels.includes(wanted), `the tray menu lacks ${wanted}: ${JSON.stringify(labels)}`);
    assert.equal(items[0].enabled, false, "the status line is not a command");

    const before = (await manualRuns()).length;
    await clickTrayLabel(menu, JOB);
    await waitUntil(
      driver,
      async () => {
        const runs = await manualRuns();
        return runs.length > before && runs[0].status === "success";
      },
      90_000,
      "Run now from the tray did not make a successful run within 90 s",
      500,
    );

    await clickTrayLabel(menu, "Pause all schedules");
    await nav(driver, "jobs");
    await waitForTestId(driver, "schedules-paused", 10_000);
    await clickTrayLabel(menu, "Resume all schedules");
    await waitForNoTestId(driver, "schedules-paused", 10_000);
  });

  step("closing the window keeps DBackup in the tray: schedules run, the tray opens it again", async (t) => {
    // Xvfb has no window manager: send the close request its close button would.
    const closer = path.join(import.meta.dirname, "close-window.py");
    const windowState = async () =>
      (await run("/usr/bin/python3", [closer, "state", "DBackup"], { env: process.env, timeout: 10_000 })).stdout.trim();
    const scheduled = async () =>
      (await cliJson("history", "--job", "e2e-minutely")).runs.filter(
        (r) => r.trigger === "schedule" && r.status === "success",
      ).length;
    assert.equal(await windowState(), "viewable");
    // app.test.mjs paused its per-minute job once done with it: let it run again meanwhile.
    await cliJson("job", "resume", "e2e-minutely");
    t.after(() => cliJson("job", "pause", "e2e-minutely"));
    const before = await scheduled();

    await run("/usr/bin/python3", [closer, "close", "DBackup"], { env: process.env, timeout: 10_000 });
    await waitUntil(driver, async () => (await windowState()) === "hidden", 10_000, "closing did not hide the window", 200);
    const menu = await findTrayMenu(null);
    assert.ok(menu, "the tray is gone with the window");
    // The per-minute job keeps running while the window is closed.
    await waitUntil(
      driver,
      async () => (await scheduled()) > before,
      90_000,
      "no scheduled run within 90 s of closing the window",
      1_000,
    );
    assert.equal(await windowState(), "hidden", "a run brought the window back");

    await clickTrayLabel(menu, "Open DBackup");
    await waitUntil(driver, async () => (await windowState()) === "viewable", 10_000, "Open DBackup did not show the window", 200);
    await nav(driver, "runs");
    await waitForTestId(driver, "runs-table", 10_000);
  });

  step("a failure is notified, and clicking the notification opens the run", async () => {
    // Only this step's notification on screen, so it is the one clicked.
    await run("dunstctl", ["close-all"], { env: process.env });
    // This job's folder was removed by app.test.mjs: running it fails.
    const before = (await cliJson("history", "--job", "e2e-failing")).runs.length;
    await nav(driver, "jobs");
    const row = await rowWith(driver, "job-row", "data-name", "e2e-failing");
    await row.findElement(byTestId("run-now")).click();
    let failed = null;
    await waitUntil(driver, async () => {
      const runs = (await cliJson("history", "--job", "e2e-failing")).runs;
      failed = runs.length > before && runs[0].status === "failed" ? runs[0] : null;
      return failed !== null;
    }, 60_000, "the failing job did not fail within 60 s", 300);
    // dunst shows it; its default action is a click on the notification.
    await waitUntil(driver, async () => {
      const { stdout } = await run("dunstctl", ["count", "displayed"], { env: process.env });
      return Number(stdout.trim()) > 0;
    }, 20_000, "no notification was displayed", 200);
    await nav(driver, "settings");
    await run("dunstctl", ["action", "0"], { env: process.env });
    const opened = await waitForTestId(driver, "runs-table", 10_000).then(() =>
      rowWith(driver, "run-row", "data-run", failed.id),
    );
    assert.equal(await opened.getAttribute("aria-current"), "true");
    assert.match(await domText(opened), /does not exist/);
    await screenshot(driver, "notification-opened-run");
  });

  step("screenshots every screen in the dark and the light theme", async () => {
    for (const theme of ["dark", "light"]) {
      await nav(driver, "settings");
      await choose(await waitForTestId(driver, "settings-theme"), theme);
      await waitUntil(
        driver,
        async () => (await driver.executeScript("return document.documentElement.dataset.theme")) === theme,
        5_000,
        `the ${theme} theme was not applied`,
      );
      const titles = {
        dashboard: "Dashboard", destinations: "Destinations", sources: "Sources", jobs: "Jobs",
        runs: "Runs", explorer: "Storage Explorer", settings: "Settings",
      };
      for (const [section, title] of Object.entries(titles)) {
        await nav(driver, section);
        // The new screen is shown, and has loaded what it shows.
        await waitUntil(
          driver,
          async () => {
            const heading = await driver.findElements(By.css(".page-header__title"));
            return (
              heading.length === 1 &&
              (await domText(heading[0])) === title &&
              (await driver.findElements(By.css(".loading"))).length === 0
            );
          },
          10_000,
          `${section} kept loading`,
        );
        if (section === "dashboard") {
          // A line per destination that holds backups.
          await waitUntil(
            driver,
            async () => (await driver.findElements(By.css('[data-testid="storage-chart"] path'))).length > 0,
            10_000,
            "the dashboard's storage chart was not drawn",
          );
        }
        await screenshot(driver, `${theme}-${section}`);
      }
    }
  });
});
