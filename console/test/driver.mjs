// A Playwright (playwright-core) driver for the Python browser tests: one JSON command per stdin line, one
// JSON answer per stdout line. Debian's Chromium, headless, a fresh profile per browser "person".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const contexts = new Map();
const pages = new Map();
const logs = new Map();

const commands = {
  async open({ context, viewport }) {
    if (!fs.existsSync(EXECUTABLE)) throw new Error(`Chromium not found at ${EXECUTABLE} (apt-get install -y chromium)`);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), `console-${context}-`));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: EXECUTABLE, headless: true, args: FLAGS, viewport: viewport ?? { width: 1280, height: 900 },
    });
    contexts.set(context, { browser, profile });
    return { profile };
  },
  async page({ context, page, url }) {
    const { browser } = contexts.get(context);
    const existing = browser.pages().find((p) => p.url() === 'about:blank' && ![...pages.values()].includes(p));
    const tab = existing ?? await browser.newPage();
    const lines = [];
    logs.set(page, lines);
    tab.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') lines.push(`${m.type()}: ${m.text()}`); });
    tab.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    pages.set(page, tab);
    if (url) await tab.goto(url);
    return { url: tab.url() };
  },
  async goto({ page, url }) { await pages.get(page).goto(url); return {}; },
  async eval({ page, js, arg }) {
    // eslint-disable-next-line no-new-func
    return pages.get(page).evaluate(new Function('arg', js), arg ?? null);
  },
  async waitFor({ page, selector, state, timeout }) {
    await pages.get(page).waitForSelector(selector, { state: state ?? 'visible', timeout: timeout ?? 10000 });
    return {};
  },
  async waitForFunction({ page, js, arg, timeout }) {
    const handle = await pages.get(page).waitForFunction(new Function('arg', js), arg ?? null, { timeout: timeout ?? 10000, polling: 50 });
    return handle.jsonValue();
  },
  async fill({ page, selector, value }) { await pages.get(page).fill(selector, value); return {}; },
  async click({ page, selector }) { await pages.get(page).click(selector); return {}; },
  async clickAll({ targets }) {
    // Both clicks dispatched in the same turn: two tabs answering at once.
    await Promise.all(targets.map(({ page, selector }) => pages.get(page).locator(selector).dispatchEvent('click')));
    return {};
  },
  async text({ page, selector }) { return pages.get(page).locator(selector).allTextContents(); },
  async screenshot({ page, file, fullPage }) {
    await pages.get(page).screenshot({ path: file, fullPage: fullPage ?? true });
    return { file };
  },
  async logs({ page }) { return logs.get(page) ?? []; },
  async close({ context }) {
    const found = contexts.get(context);
    if (found) {
      await found.browser.close();
      fs.rmSync(found.profile, { recursive: true, force: true });
      contexts.delete(context);
    }
    return {};
  },
  async quit() {
    for (const name of [...contexts.keys()]) await commands.close({ context: name });
    setTimeout(() => process.exit(0), 10);
    return {};
  },
};

const input = readline.createInterface({ input: process.stdin });
input.on('line', async (line) => {
  let request;
  try {
    request = JSON.parse(line);
    const result = await commands[request.cmd](request);
    process.stdout.write(`${JSON.stringify({ id: request.id, ok: true, result: result ?? null })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id: request?.id ?? null, ok: false, error: String(error?.stack ?? error) })}\n`);
  }
});
input.on('close', async () => { await commands.quit(); });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
