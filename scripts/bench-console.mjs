#!/usr/bin/env node
// How fast the ops console loads in a real browser, on a running stack (npm run stack).
//
//   node scripts/bench-console.mjs [--url http://127.0.0.1:3005] [--runs 10] [--role ops-viewer] [--path /]
//
// Debian's chromium (scripts/browser.sh ensure), headless, 1280x800, driven by playwright-core. The
// person signs in once with the password (authorization code + PKCE at the identity provider); then
// each run measures, from the start of the navigation to the moment the overview shows its first
// numbers (every metric card filled from GET /api/overview, not the placeholder):
//   reload    the signed-in tab reloaded (the session is in the tab's sessionStorage);
//   new tab   a new tab opened on the console: the console redirects to the identity provider, which
//             answers from its single-sign-on cookie without a password, then the overview loads.
// Prints p50 / p95 / max per kind and the bytes the browser fetched for the console's own files.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { passwordOf } from './lib/identity.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3005' },
    runs: { type: 'string', default: '10' },
    role: { type: 'string', default: 'ops-viewer' },
    path: { type: 'string', default: '/' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});
const consoleUrl = args.url.replace(/\/$/, '');
const runs = Number(args.runs);
const FIRST_NUMBERS_TIMEOUT_MS = 30_000;

/** Resolves when the overview's first card shows a number (the app renders '—' until /api/overview answers). */
async function firstNumbers(page) {
  const card = page.getByTestId('metric-charges.today');
  await card.waitFor({ timeout: FIRST_NUMBERS_TIMEOUT_MS });
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="metric-charges.today"]');
    return el !== null && el.textContent !== null && el.textContent.trim() !== '—';
  }, undefined, { timeout: FIRST_NUMBERS_TIMEOUT_MS });
}

async function signIn(page) {
  const { user, password } = passwordOf(args.role);
  await page.goto(`${consoleUrl}${args.path}`);
  await page.locator('input[name="username"]').waitFor({ timeout: FIRST_NUMBERS_TIMEOUT_MS });
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('#kc-login, button[type="submit"]').first().click();
  await firstNumbers(page);
}

/** Milliseconds from `navigate()` to the first numbers. */
async function timed(page, navigate) {
  const start = performance.now();
  await navigate();
  await firstNumbers(page);
  return performance.now() - start;
}

/** Bytes the page fetched from the console itself (its HTML, scripts, styles), by the Resource Timing API. */
async function consoleBytes(page) {
  return page.evaluate((origin) => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return entries.filter((e) => e.name.startsWith(origin) && !e.name.includes('/api/')).reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0);
  }, consoleUrl);
}

function summary(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

const fmt = (ms) => `${Math.round(ms)} ms`;

const profile = mkdtempSync(join(tmpdir(), 'slidecharge-bench-console-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: args.chromium,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const signInStart = performance.now();
  await signIn(page);
  const signInMs = performance.now() - signInStart;
  const reload = [];
  const newTab = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    reload.push(await timed(page, () => page.reload({ waitUntil: 'commit' })));
    bytes = Math.max(bytes, await consoleBytes(page));
    const tab = await context.newPage();
    newTab.push(await timed(tab, () => tab.goto(`${consoleUrl}${args.path}`, { waitUntil: 'commit' })));
    await tab.close();
  }
  const rows = [
    ['reload (signed in)', summary(reload)],
    ['new tab (single sign-on)', summary(newTab)],
  ];
  console.log(`ops console ${consoleUrl}${args.path} as ${args.role}, ${runs} runs each, chromium headless 1280x800`);
  console.log(`first sign-in with the password (typing excluded): ${fmt(signInMs)}`);
  console.log('| load | p50 | p95 | max |');
  console.log('|---|---|---|---|');
  for (const [name, s] of rows) console.log(`| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.max)} |`);
  console.log(`console files fetched on a reload: ${(bytes / 1024).toFixed(0)} KiB (transfer size; 0 when served from the browser cache)`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
