// Loads opencode's web UI of a session through the router in Debian's headless chromium and reports what it saw
// as one JSON line on stdout. Used by dev.collab.local.BrowserUiIT.
//   node ui-check.mjs <url with ?token=> <same page without token> <screenshot.png>
// Each visit runs in a fresh user-data-dir: no cookie, cache or profile is shared.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [withToken, withoutToken, screenshot] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
// the UI's own element: opencode 1.18.33 renders its title bar with a "New session" button once its app has booted
const UI_ELEMENT = 'header[data-slot="titlebar-v2"] button[aria-label="New session"]';
const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run',
  '--disable-sync', '--disable-default-apps', '--disable-extensions', '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP *.localhost 127.0.0.1'];

async function visit(url, fn) {
  const dir = mkdtempSync(join(tmpdir(), 'collab-browser-'));
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args });
  try {
    const page = await context.newPage();
    const failed = [];
    page.on('response', r => { if (r.status() >= 400) failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
    return await fn(page, context, failed);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = {};
result.withToken = await visit(withToken, async (page, context, failed) => {
  const response = await page.goto(withToken, { waitUntil: 'load', timeout: 60000 });
  let element = false;
  try {
    await page.waitForSelector(UI_ELEMENT, { state: 'visible', timeout: 60000 });
    element = true;
  } catch (e) {
    // reported below
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  const cookies = await context.cookies();
  return {
    status: response.status(), finalUrl: page.url(), title: await page.title(), element,
    cookies: cookies.map(c => ({ name: c.name, path: c.path, httpOnly: c.httpOnly, sameSite: c.sameSite })),
    text: (await page.evaluate(() => document.body.innerText)).slice(0, 2000), failed,
  };
});
result.withoutToken = await visit(withoutToken, async (page) => {
  const response = await page.goto(withoutToken, { waitUntil: 'load', timeout: 60000 });
  return { status: response.status(), body: (await response.text()).slice(0, 500), element: (await page.$(UI_ELEMENT)) !== null };
});
console.log(JSON.stringify(result));
