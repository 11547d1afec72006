import { OPS_METRICS, type OpsConsoleConfig } from '@slidecharge/contracts/ops-console';
import { eventually, oidcIssuer } from '@slidecharge/testing';
import { launchChromium, serveBundle, signIn, type BrowserSession, type BundleServer } from './browser';

/**
 * The console's front end on its own: the built bundle served statically (GET /api/config only), a
 * real chromium and the real identity provider. Sign-in is authorization code + PKCE through
 * Keycloak's login form; the access token carries the audience and roles the services check. The
 * full console with its server is ops-console.browser-spec.ts.
 */
const config: OpsConsoleConfig = {
  issuer: oidcIssuer(),
  // The browser-test client: the bundle runs on a free port of 127.0.0.1 (tools/keycloak/realm.mjs).
  clientId: 'test-ops-console',
  scopes: 'openid profile',
  labTimeZone: 'America/Chicago',
  labName: 'Browser test lab',
  feeScheduleConfigured: false,
};

let bundle: BundleServer;
let browser: BrowserSession;

beforeAll(async () => {
  bundle = await serveBundle(config);
});

afterAll(async () => {
  await bundle?.close();
});

beforeEach(async () => {
  browser = await launchChromium();
});

afterEach(async () => {
  await browser?.close();
});

/** The access token the console keeps in session storage (oidc-client-ts's user entry). */
async function storedAccessTokenClaims(): Promise<Record<string, unknown>> {
  const stored = (await browser.page.evaluate(
    `(() => { const k = Object.keys(sessionStorage).find((k) => k.startsWith('oidc.user:')); return k ? sessionStorage.getItem(k) : null; })()`,
  )) as string | null;
  expect(stored).not.toBeNull();
  const token = (JSON.parse(stored as string) as { access_token: string }).access_token;
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

it('signs an ops viewer in with authorization code + PKCE (S256) and shows who is signed in, with the role', async () => {
  const { authorizeUrl } = await signIn(browser.page, bundle.url, 'ops-viewer');
  expect(authorizeUrl.searchParams.get('response_type')).toBe('code');
  expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
  expect(authorizeUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(`${bundle.url}/callback`);
  await expect(browser.page.getByTestId('signed-in-user').textContent()).resolves.toBe('ops-viewer');
  await expect(browser.page.getByTestId('signed-in-roles').textContent()).resolves.toBe('ops-viewer');
  const claims = await storedAccessTokenClaims();
  expect([claims['aud']].flat()).toContain('slidecharge-api');
  expect(claims['roles']).toEqual(expect.arrayContaining(['ops-viewer']));
  expect(claims['azp']).toBe('test-ops-console');
});

it('tells a person whose account has no slidecharge role so, instead of an empty console', async () => {
  await signIn(browser.page, bundle.url, 'no-role');
  await expect(browser.page.locator('h1').textContent()).resolves.toBe('Your account has no slidecharge role');
  await expect(browser.page.locator('nav').count()).resolves.toBe(0);
});

it('comes back to the page the person asked for after signing in', async () => {
  await signIn(browser.page, bundle.url, 'billing-reviewer', '/dead-letter-queue');
  expect(new URL(browser.page.url()).pathname).toBe('/dead-letter-queue');
  await expect(browser.page.locator('h1').textContent()).resolves.toBe('Dead letters');
});

it('is usable by keyboard alone: a skip link first, then every view of the main navigation', async () => {
  const { page } = browser;
  await signIn(page, bundle.url, 'ops-viewer');
  // A fresh load of the signed-in console (the session is in session storage): focus starts at the top.
  await page.goto(`${bundle.url}/`);
  await page.getByTestId('signed-in-user').waitFor();
  await page.keyboard.press('Tab');
  await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe('Skip to content');
  const views: Array<[string, string]> = [
    ['Review queue', '/review'],
    ['Case timeline', '/cases'],
    ['Dead letters', '/dead-letter-queue'],
    ['Deliveries', '/deliveries'],
    ['Unmatched scans', '/unmatched'],
    ['Health', '/service-health'],
    ['Overview', '/'],
  ];
  for (const [label, path] of views) {
    // Tab until the link has the focus, then follow it with Enter.
    for (let presses = 0; presses < 40 && (await page.evaluate('document.activeElement.textContent')) !== label; presses++) await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.textContent')).resolves.toBe(label);
    const outline = (await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')) as string;
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === path);
    await page.locator('main h1', { hasText: label }).waitFor();
    // The window title follows the view once it has rendered.
    const title = `${label} · slidecharge ops console`;
    await eventually(async () => ((await page.title()) === title ? true : undefined), 10_000, `the window title ${title}`);
  }
});

it('says in words what to do when the console server does not answer', async () => {
  const { page } = browser;
  await signIn(page, bundle.url, 'billing-reviewer', '/review');
  const alert = page.getByRole('alert').first();
  await alert.waitFor();
  await expect(alert.textContent()).resolves.toMatch(/billing is not answering: no ops console server behind this static bundle: check the services on the Health view, and docs\/operations\.md/);
});

it('opens the definition of a number from its "?" by keyboard and closes it with Escape', async () => {
  const { page } = browser;
  await signIn(page, bundle.url, 'ops-viewer');
  const help = page.getByRole('button', { name: 'What is "Revenue at risk"?' });
  await help.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Revenue at risk' });
  await dialog.waitFor();
  await expect(dialog.textContent()).resolves.toContain('billing GET /review-queue x the fee schedule');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe('What is "Revenue at risk"?');
});

it('the wall screen has no navigation and names nobody, not even who signed it in, at 1080p and 4K', async () => {
  for (const viewport of [
    { width: 1920, height: 1080 },
    { width: 3840, height: 2160 },
  ]) {
    const wall = await launchChromium(viewport);
    try {
      await signIn(wall.page, bundle.url, 'ops-viewer', '/wall');
      await expect(wall.page.locator('nav, [data-testid="signed-in-user"], [data-testid="activity-feed"]').count()).resolves.toBe(0);
      await expect(wall.page.locator('body').textContent()).resolves.not.toContain('ops-viewer');
      await expect(wall.page.locator('[data-metric]').count()).resolves.toBe(Object.values(OPS_METRICS).filter((m) => m.wall).length);
      // Everything fits the screen: no scrolling on the lab floor.
      const overflow = (await wall.page.evaluate('[document.documentElement.scrollWidth, document.documentElement.scrollHeight]')) as [number, number];
      expect(overflow[0]).toBeLessThanOrEqual(viewport.width);
      expect(overflow[1]).toBeLessThanOrEqual(viewport.height);
    } finally {
      await wall.close();
    }
  }
});

it('signs out at the identity provider: coming back asks for the password again', async () => {
  const { page } = browser;
  await signIn(page, bundle.url, 'ops-viewer');
  const loggedOut = page.waitForRequest((r) => r.url().startsWith(`${oidcIssuer()}/protocol/openid-connect/logout`));
  await page.getByRole('button', { name: 'Sign out' }).click();
  const logout = new URL((await loggedOut).url());
  expect(logout.searchParams.get('post_logout_redirect_uri')).toBe(`${bundle.url}/`);
  expect(logout.searchParams.get('id_token_hint')).toBeTruthy();
  // Back at the console, nobody is signed in, and the identity provider has no session to reuse: its login form shows.
  await page.locator('input[name="password"]').waitFor({ timeout: 30_000 });
  expect(page.url().startsWith(oidcIssuer())).toBe(true);
});
