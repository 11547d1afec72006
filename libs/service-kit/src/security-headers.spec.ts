import { helmetOptions } from './security-headers';

describe('helmetOptions', () => {
  it('over http: a CSP of this origin only (Swagger UI compatible), no framing, no HSTS and no upgrade-insecure-requests', () => {
    const options = helmetOptions({ https: false });
    const csp = options.contentSecurityPolicy;
    expect(csp).toMatchObject({ useDefaults: false });
    const directives = typeof csp === 'object' ? csp.directives : undefined;
    expect(directives).toMatchObject({ 'default-src': ["'self'"], 'script-src': ["'self'"], 'frame-ancestors': ["'none'"], 'object-src': ["'none'"] });
    expect(directives).not.toHaveProperty('upgrade-insecure-requests');
    expect(options.strictTransportSecurity).toBe(false);
    expect(options.frameguard).toEqual({ action: 'deny' });
  });

  it('behind https (PUBLIC_BASE_URL https://): HSTS for a year and upgrade-insecure-requests', () => {
    const options = helmetOptions({ https: true });
    expect(options.strictTransportSecurity).toEqual({ maxAge: 31_536_000, includeSubDomains: false });
    expect(typeof options.contentSecurityPolicy === 'object' ? options.contentSecurityPolicy.directives : undefined).toHaveProperty('upgrade-insecure-requests', []);
  });
});
