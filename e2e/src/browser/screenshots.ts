import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = join(__dirname, '../../../docs/screenshots');

/** Saves the page as docs/screenshots/<view>.png (the README shows these). */
export async function screenshot(page: Page, view: string, fullPage = true): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${view}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
