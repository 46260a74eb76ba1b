// Screenshots Prometheus's own graph page (its /graph?g0.expr=... URL) in Debian's headless chromium, for the
// README's monitoring picture. Used by dev.collab.local.PrometheusProofIT.
//   node prom-graph.mjs <graph url> <screenshot.png>
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run',
  '--disable-sync', '--disable-default-apps', '--disable-extensions', '--disable-dev-shm-usage'];
const dir = mkdtempSync(join(tmpdir(), 'collab-prom-graph-'));
const context = await chromium.launchPersistentContext(dir, {
  executablePath, headless: true, args, viewport: { width: 1280, height: 900 } });
try {
  const page = await context.newPage();
  const response = await page.goto(url, { waitUntil: 'networkidle', timeout: 60000 });
  if (!response || response.status() !== 200) {
    throw new Error(`graph page answered ${response && response.status()}`);
  }
  // the graphs draw after their queries return: wait for one canvas or svg per expression, then a moment more
  const graphs = (url.match(/\.expr=/g) || []).length;
  await page.waitForFunction(n => document.querySelectorAll('canvas, svg.rickshaw_graph, .graph-chart canvas').length >= n,
    graphs, { timeout: 30000 }).catch(() => {});
  // the fixed navigation bar would be drawn across the middle of a full-page screenshot
  await page.addStyleTag({ content: 'nav.navbar { position: static !important; } body { padding-top: 0 !important; }' });
  await page.waitForTimeout(2000);
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ url, screenshot, graphs }));
} finally {
  await context.close();
  rmSync(dir, { recursive: true, force: true });
}
