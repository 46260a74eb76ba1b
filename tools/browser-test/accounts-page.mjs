// A person on the accounts page, in Debian's headless chromium, driven line by line by dev.collab.local.AccountsPageIT:
//   node accounts-page.mjs <accounts page URL with #token=...> <screenshot dir>
// Commands on stdin, one per line; each answers one line on stdout, "ok ..." or "error ...":
//   login                    Add account, approve on the provider's page, paste its code, finish
//   relogin <account>        the row's "Log in again" / "Re-login" button, then the same
//   await <account> <state>  until the row shows that state (the page refreshes itself every 5 s)
//   screenshot <name>        <screenshot dir>/<name>.png
//   quit
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [pageUrl, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run',
  '--disable-sync', '--disable-default-apps', '--disable-extensions', '--disable-dev-shm-usage'];
const dir = mkdtempSync(join(tmpdir(), 'collab-accounts-'));
const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push('page error: ' + e.message));
// every answer of the router the page got must be a success (the browser's own favicon request aside)
page.on('response', (r) => {
  const path = new URL(r.url()).pathname;
  if (r.status() >= 400 && path !== '/favicon.ico') { problems.push(`${r.status()} ${r.request().method()} ${path}`); }
});
await page.goto(pageUrl, { waitUntil: 'load', timeout: 60000 });
// the first listing arrived: the page names the pool's Secret (or says why it could not)
await page.waitForFunction(() => document.getElementById('pool').textContent || document.getElementById('status').textContent,
  null, { timeout: 30000 });
const first = await page.textContent('#status');
if (first) { console.error('the page said: ' + first); }

const row = (account) => page.locator(`#accounts tbody tr[data-account="${account}"]`);

// The provider's part: its login page (a new tab, as the link opens), Approve, then the code it shows.
async function approveAndPaste() {
  await page.waitForSelector('#login:not([hidden]) #login-link[href]', { timeout: 30000 });
  const href = await page.getAttribute('#login-link', 'href');
  const provider = await context.newPage();
  await provider.goto(href, { waitUntil: 'load', timeout: 30000 });
  await provider.click('#approve');
  const code = (await provider.textContent('#code', { timeout: 30000 })).trim();
  await provider.close();
  await page.fill('#code', code);
  await page.click('#finish');
  await page.waitForSelector('#login[hidden]', { state: 'attached', timeout: 30000 });
  return (await page.textContent('#status')).trim();
}

const commands = {
  async login() {
    const before = await page.locator('#accounts tbody tr').count();
    await page.click('#add');
    const said = await approveAndPaste();
    await page.waitForFunction((n) => document.querySelectorAll('#accounts tbody tr').length === n + 1, before);
    return said;
  },
  async relogin(account) {
    await row(account).getByRole('button', { name: /log in again|re-login/i }).click();
    return approveAndPaste();
  },
  async await(account, state) {
    await row(account).locator('td.state', { hasText: state }).waitFor({ timeout: 90000 });
    return `${account} ${state}`;
  },
  async screenshot(name) {
    const file = join(shots, name + '.png');
    await page.screenshot({ path: file, fullPage: true });
    return file;
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [command, ...rest] = line.trim().split(/\s+/);
  if (command === 'quit') { break; }
  try {
    if (!commands[command]) { throw new Error('unknown command ' + command); }
    const result = await commands[command](...rest);
    if (problems.length) { throw new Error(problems.join('; ')); }
    console.log('ok ' + result);
  } catch (e) {
    console.log('error ' + String(e.message || e).replace(/\s+/g, ' '));
  }
}
await context.close();
rmSync(dir, { recursive: true, force: true });
