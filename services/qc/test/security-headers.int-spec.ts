import { randomUUID } from 'node:crypto';
import { NestExpressApplication } from '@nestjs/platform-express';
import { createServiceApp } from '@slidecharge/service-kit';
import { asCaller, identityEnv, serviceDatabaseUrl, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { QC_SERVICE } from '../src/openapi';

/**
 * Security headers (issue #7) on qc, in-process as production builds it: helmet's headers with a
 * Content-Security-Policy on every answer, no X-Powered-By, Cache-Control: no-store, no HSTS over
 * plain http, and the Swagger UI at /docs still loads under the policy.
 */
const { kafkaEnv } = testEnv();
let app: NestExpressApplication;

beforeAll(async () => {
  const config = loadServiceConfig({ ...kafkaEnv, DATABASE_URL: serviceDatabaseUrl('qc'), LOG_LEVEL: 'warn', PORT: '0', SLIDECHARGE_ENV: 'development', ...identityEnv() });
  app = await createServiceApp(AppModule.forRoot(config), QC_SERVICE, { logger: false });
  await app.init();
}, 60_000);

afterAll(() => app?.close());

/** Every request of this file comes from an ops viewer signed in with the identity provider. */
const api = () => asCaller(app.getHttpServer(), 'ops-viewer');

const CSP = "default-src 'self';base-uri 'self';connect-src 'self';font-src 'self' data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline'";

function expectHardenedHeaders(headers: Record<string, string>): void {
  expect(headers).toMatchObject({
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  });
  expect(headers['x-powered-by']).toBeUndefined();
  expect(headers['strict-transport-security']).toBeUndefined();
}

describe('security headers', () => {
  it('on API answers (they carry patient data), errors, refusals and health', async () => {
    expectHardenedHeaders((await api().get('/qc/results?limit=1').expect(200)).headers);
    expectHardenedHeaders((await api().get(`/qc/results/${randomUUID()}`).expect(404)).headers);
    expectHardenedHeaders((await api().get('/no-such-route').expect(404)).headers);
    expectHardenedHeaders((await api().get('/qc/results').set('host', 'evil.example').expect(421)).headers);
    expectHardenedHeaders((await api().get('/health/live').expect(200)).headers);
  });

  it('the Swagger UI at /docs loads under the policy: its HTML, every script and stylesheet it names, and the OpenAPI document', async () => {
    const page = await api().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expectHardenedHeaders(page.headers);
    // script-src 'self' allows no inline script: every script must be a file of this origin.
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const scripts = [...page.text.matchAll(/<script[^>]*\bsrc=["']([^"']+)["']/g)].map((m) => m[1] ?? '');
    const styles = [...page.text.matchAll(/<link[^>]*rel=["']stylesheet["'][^>]*href=["']([^"']+)["']|<link[^>]*href=["']([^"']+)["'][^>]*rel=["']stylesheet["']/g)].map(
      (m) => m[1] ?? m[2] ?? '',
    );
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    expect(styles.length).toBeGreaterThanOrEqual(1);
    for (const [ref, type] of [...scripts.map((s) => [s, /javascript/] as const), ...styles.map((s) => [s, /text\/css/] as const)]) {
      const url = new URL(ref, 'http://service.test/docs');
      expect(url.origin).toBe('http://service.test');
      const asset = await api().get(url.pathname).expect(200);
      expect(asset.headers['content-type']).toMatch(type);
      expect(asset.headers['content-security-policy']).toBe(CSP);
    }
    const document = await api().get('/openapi.json').expect(200);
    expect(document.body.info.title).toBe('slidecharge qc');
  });
});
