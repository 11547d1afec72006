import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';

const ROOT = join(__dirname, '../../..');

/**
 * Where the browser tests save their screenshots: tmp/screenshots, unless SCREENSHOT_DIR names another
 * folder (relative to the repository). The README shows docs/screenshots, refreshed on purpose with
 * `SCREENSHOT_DIR=docs/screenshots npx nx run e2e:browser`; a plain test run shows the test database's
 * data and would rewrite them every time.
 */
export const SCREENSHOT_DIR = resolve(ROOT, process.env['SCREENSHOT_DIR']?.trim() || 'tmp/screenshots');

/** Saves the page as <SCREENSHOT_DIR>/<view>.png. */
export async function screenshot(page: Page, view: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${view}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
