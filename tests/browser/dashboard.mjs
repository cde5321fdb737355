// Opens the Prefect dashboard in headless Debian Chromium the way an operator would: the flow
// runs list, the run by its name, its Artifacts tab, the summary artifact, and reads its table.
// Usage: node dashboard.mjs DASHBOARD_URL RUN_NAME ARTIFACT_KEY SCREENSHOT_DIR
// Prints one JSON object: the steps taken, the table's header and rows as seen on the page, and
// per row which cells lie inside the 1400x1000 viewport as first shown (no scrolling).
import { chromium } from "playwright-core";

const [dashboard, runName, artifactKey, shotDir] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const args = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];
const steps = [];
const shot = async (page, name) => {
  const path = `${shotDir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  steps.push({ screenshot: path });
};

const browser = await chromium.launch({ executablePath, args, headless: true });
let result;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(60_000);

  // 1. The flow runs list, where the run is found by its name.
  await page.goto(`${dashboard}/runs`, { waitUntil: "domcontentloaded" });
  const runLink = page.getByRole("link", { name: runName, exact: true }).first();
  await runLink.waitFor({ state: "visible" });
  steps.push({ found_run_in_list: runName, url: page.url() });
  // The list polls and re-renders while runs come and go, so a click can land on a row that is
  // being replaced: click again (up to 3 times) when no navigation follows.
  for (let attempt = 1; ; attempt++) {
    await runLink.scrollIntoViewIfNeeded();
    await runLink.click();
    try {
      await page.waitForURL(/\/runs\/flow-run\//, { timeout: 20_000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      steps.push({ click_without_navigation: attempt });
    }
  }
  await page.getByText(runName).first().waitFor();
  steps.push({ opened_run: page.url() });

  // 2. Its Artifacts tab, then the summary artifact by key.
  // The run page's tabs (Logs, Task Runs, Subflow Runs, Artifacts, ...) are plain buttons.
  await page.getByText("Artifacts", { exact: true }).first().click();
  const card = page.getByText(artifactKey, { exact: true }).first();
  await card.waitFor({ state: "visible" });
  await shot(page, "flow-run-artifacts");
  await card.click();
  await page.waitForURL(/\/artifacts\/artifact\//);
  steps.push({ opened_artifact: page.url() });

  // 3. The table as rendered.
  const table = page.locator("table").first();
  await table.waitFor({ state: "visible" });
  const header = (await table.locator("th").allInnerTexts()).map((t) => t.trim());
  const rows = [];
  const inView = [];
  const inside = (box) => !!box && box.width > 0 && box.x >= 0 && box.y >= 0 && box.x + box.width <= 1400 && box.y + box.height <= 1000;
  for (const row of await table.locator("tbody tr").all()) {
    const cells = await row.locator("td").all();
    rows.push((await row.locator("td").allInnerTexts()).map((t) => t.trim()));
    inView.push(await Promise.all(cells.map(async (c) => inside(await c.boundingBox()))));
  }
  await shot(page, "crawl-summary-table");
  result = { ok: true, steps, header, rows, inView };
} catch (e) {
  const pages = browser.contexts().flatMap((c) => c.pages());
  if (pages.length) await shot(pages[0], "failure").catch(() => {});
  result = { ok: false, steps, error: String(e && e.stack ? e.stack : e) };
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + "\n");
process.exit(result.ok ? 0 : 1);
