import { OPS_CONSOLE_PAGES } from '@slidecharge/contracts';
import { resolve } from 'node:path';
import { cacheControlOf, isOpenPath, isServerPath, webContentSecurityPolicy, webFileOf } from './web-files';

const root = resolve('/srv/console');

describe('the web front end files', () => {
  it("tells the server's own paths from the front end's", () => {
    for (const p of ['/api/overview', '/api', '/health/ready', '/metrics', '/docs', '/docs/swagger-ui.css', '/openapi.json', '/dead-letters', '/dead-letters/x/replay']) expect(isServerPath(p)).toBe(true);
    for (const p of ['/', '/cases/S26-1', '/assets/index-abc12345.js', '/apiary']) expect(isServerPath(p)).toBe(false);
    // Every page of the front end is the front end's, never a route of the server's own.
    for (const page of OPS_CONSOLE_PAGES) expect([page, isServerPath(page)]).toEqual([page, false]);
  });

  it('needs no credential for the sign-in settings and the files, and one for every other API route', () => {
    expect(isOpenPath('/api/config')).toBe(true);
    expect(isOpenPath('/cases/S26-1/timeline')).toBe(true);
    expect(isOpenPath('/api/overview')).toBe(false);
    expect(isOpenPath('/api/live')).toBe(false);
  });

  it('answers a client route with index.html and a file with the file', () => {
    expect(webFileOf(root, '/')).toEqual({ file: resolve(root, 'index.html'), fallback: true });
    expect(webFileOf(root, '/review-queue')).toEqual({ file: resolve(root, 'index.html'), fallback: true });
    expect(webFileOf(root, '/assets/index-abc12345.js')).toEqual({ file: resolve(root, 'assets/index-abc12345.js'), fallback: false });
  });

  it('never leaves the web root and never serves dotfiles', () => {
    expect(webFileOf(root, '/../etc/passwd')).toBeNull();
    expect(webFileOf(root, '/%2e%2e/etc/passwd')).toBeNull();
    expect(webFileOf(root, '/assets/%2e%2e%2f%2e%2e%2fsecret.txt')).toBeNull();
    expect(webFileOf(root, '/.env')).toBeNull();
    expect(webFileOf(root, '/%E0%A4%A')).toBeNull();
  });

  it('lets browsers keep hashed build output a year and revalidate index.html', () => {
    expect(cacheControlOf('/srv/console/assets/index-B3xK9q_z.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('/srv/console/index.html')).toBe('no-cache');
    expect(cacheControlOf('/srv/console/favicon.svg')).toBe('no-cache');
  });

  it("allows calls and the silent-renew frame to the identity provider's origin only", () => {
    const csp = webContentSecurityPolicy('https://sso.hospital.org/realms/lab');
    expect(csp).toContain("connect-src 'self' https://sso.hospital.org");
    expect(csp).toContain('frame-src https://sso.hospital.org');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('/realms');
  });
});
