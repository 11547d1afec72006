import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet, { HelmetOptions } from 'helmet';
import type { HttpSettings } from './http-settings';

const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/**
 * helmet's headers, with a Content-Security-Policy the Swagger UI at /docs works under (its scripts
 * and stylesheet are files of this origin; its HTML has inline <style> blocks and it draws data: SVG
 * icons) and that forbids everything else: no other origin, no framing, no plugins. HSTS and
 * upgrade-insecure-requests only when clients reach the service over https (PUBLIC_BASE_URL https://,
 * i.e. behind a TLS-terminating proxy): over plain http a browser would upgrade /docs' own requests
 * to https and break them.
 */
export function helmetOptions(settings: Pick<HttpSettings, 'https'>): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        ...(settings.https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    strictTransportSecurity: settings.https ? { maxAge: ONE_YEAR_SECONDS, includeSubDomains: false } : false,
  };
}

/**
 * Security headers on every answer (health, errors and refusals included), no X-Powered-By, and
 * Cache-Control: no-store (answers carry patient data; no browser or proxy may keep them).
 */
export function useSecurityHeaders(app: NestExpressApplication, settings: HttpSettings): void {
  app.disable('x-powered-by');
  app.use(helmet(helmetOptions(settings)));
  app.use((_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
}
