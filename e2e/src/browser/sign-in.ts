import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** The people of the development realm (tools/keycloak/realm.mjs USERS), by the role they hold. */
export const PERSON_OF_ROLE = {
  'billing-reviewer': 'reviewer',
  'billing-admin': 'billing-admin',
  'integration-admin': 'integration-admin',
  'ops-viewer': 'ops-viewer',
  'no-role': 'no-role',
} as const;
export type ConsolePerson = keyof typeof PERSON_OF_ROLE;

/** A person's password: made once per machine by the realm script into the secrets file (scripts/idp.sh env: IDP_SECRETS_FILE). */
export function passwordOf(user: string): string {
  const file = process.env['IDP_SECRETS_FILE'] ?? join(process.env['SLIDECHARGE_CACHE'] ?? join(homedir(), '.cache/slidecharge'), 'secrets/idp.json');
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as { users: Record<string, string> };
  const password = secrets.users[user];
  if (!password) throw new Error(`no password for ${user} in ${file}: start the identity provider (bash scripts/idp.sh start)`);
  return password;
}

export interface SignInRecord {
  /** The authorization request the console sent the browser to. */
  authorizeUrl: URL;
}

/**
 * Opens the console at `path` and signs in through the identity provider's own login form, as a
 * person would: the console redirects to Keycloak (code + PKCE), the form is filled, Keycloak sends the
 * browser back to /callback, the console exchanges the code and shows `path`.
 */
export async function signIn(page: Page, consoleUrl: string, role: ConsolePerson, path = '/'): Promise<SignInRecord> {
  const issuerPrefix = (process.env['OIDC_ISSUER'] ?? 'http://127.0.0.1:8180/realms/slidecharge').replace(/\/+$/, '');
  const authorize = page.waitForRequest((r) => r.url().startsWith(`${issuerPrefix}/protocol/openid-connect/auth`), { timeout: 30_000 });
  await page.goto(`${consoleUrl}${path}`);
  const authorizeUrl = new URL((await authorize).url());
  const user = PERSON_OF_ROLE[role];
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(passwordOf(user));
  await Promise.all([page.waitForURL((url) => url.href.startsWith(consoleUrl) && !url.pathname.startsWith('/callback'), { timeout: 30_000, waitUntil: 'commit' }), page.locator('#kc-login, button[type="submit"]').first().click()]);
  // Signed in: the header names the user (the wall screen names nobody), or the page says the account has no role.
  await page.locator('[data-testid="signed-in-user"], [data-testid="wall"], h1:has-text("no slidecharge role")').first().waitFor({ timeout: 30_000 });
  return { authorizeUrl };
}
