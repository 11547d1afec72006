import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createServiceApp } from '@slidecharge/service-kit';
import { randomUUID } from 'node:crypto';
import { asCaller, deleteGroup, identityEnv, serviceDatabaseUrl, startGroupAtEnd, testEnv } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { OPS_CONSOLE_SERVICE } from '../src/openapi';
import { PROJECTED_TOPICS } from '../src/projection/facts';

/**
 * The console's own HTTP surface in-process (real Postgres, Kafka, identity provider): its web front
 * end's files, its sign-in settings, and the checks a request passes before anything is forwarded.
 * The owning services are not running here: their routes answer 502, their numbers are unavailable.
 */
const root = mkdtempSync(join(tmpdir(), 'ops-console-web-'));
let app: INestApplication;
const group = `ops-console-web-it-${randomUUID().slice(0, 8)}`;
const { kafkaEnv, kafkaBrokers } = testEnv();

beforeAll(async () => {
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>ops console</title>');
  writeFileSync(join(root, 'assets', 'index-B3xK9q_z.js'), 'console.log(1)');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  await startGroupAtEnd(kafkaBrokers, group, PROJECTED_TOPICS);
  const config = loadServiceConfig({
    ...kafkaEnv,
    ...identityEnv(),
    DATABASE_URL: serviceDatabaseUrl('ops-console'),
    LOG_LEVEL: 'warn',
    OPS_CONSOLE_WEB_ROOT: root,
    OPS_CONSOLE_CONSUMER_GROUP: group,
    // Nothing listens here: every owning service is down.
    ACCESSION_URL: 'http://127.0.0.1:9',
    SCANNER_EVENTS_URL: 'http://127.0.0.1:9',
    QC_URL: 'http://127.0.0.1:9',
    BILLING_URL: 'http://127.0.0.1:9',
    LAB_TIME_ZONE: 'America/Chicago',
  });
  app = await createServiceApp(AppModule.forRoot(config), OPS_CONSOLE_SERVICE, { logger: false });
  await app.init();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await deleteGroup(kafkaBrokers, group);
  rmSync(root, { recursive: true, force: true });
});

describe('the web front end', () => {
  it('serves index.html at / and for client routes, without a credential, revalidated each time, under its CSP', async () => {
    for (const path of ['/', '/review-queue', '/cases/S26-1/timeline']) {
      const res = await request(app.getHttpServer()).get(path).expect(200);
      expect(res.text).toContain('ops console');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:8180");
      expect(res.headers['content-security-policy']).toContain('frame-src http://127.0.0.1:8180');
    }
  });

  it('lets browsers keep hashed assets a year', async () => {
    const res = await request(app.getHttpServer()).get('/assets/index-B3xK9q_z.js').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toMatch(/javascript/);
  });

  it('never serves dotfiles or files outside its root, and a missing file is a 404', async () => {
    await request(app.getHttpServer()).get('/.env').expect(404);
    await request(app.getHttpServer()).get('/assets/..%2F..%2Fetc%2Fpasswd').expect(404);
    await request(app.getHttpServer()).get('/assets/missing-file.js').expect(404);
  });

  it('answers an unknown API route with 404 for the signed-in, and 401 without a credential', async () => {
    await asCaller(app.getHttpServer(), 'ops-viewer').get('/api/no-such-route').expect(404);
    await request(app.getHttpServer()).get('/api/overview').expect(401);
  });
});

describe('the console API without the owning services', () => {
  it('gives the sign-in settings to anyone', async () => {
    const res = await request(app.getHttpServer()).get('/api/config').expect(200);
    expect(res.body).toEqual({
      issuer: identityEnv()['OIDC_ISSUER'],
      clientId: 'ops-console',
      scopes: 'openid profile',
      labTimeZone: 'America/Chicago',
      labName: 'slidecharge lab',
      feeScheduleConfigured: false,
    });
  });

  it('answers the overview with the unavailable numbers saying what to do', async () => {
    const res = await asCaller(app.getHttpServer(), 'billing-reviewer').get('/api/overview').expect(200);
    expect(res.body.labTimeZone).toBe('America/Chicago');
    expect(res.body.metrics['held.count']).toEqual({ value: null, unavailable: expect.stringContaining('check that billing runs') });
    expect(res.body.metrics['charges.today'].value).toEqual(expect.any(Number));
  });

  it('refuses bad path parameters before forwarding, and says when an owning service cannot be reached', async () => {
    const viewer = () => asCaller(app.getHttpServer(), 'ops-viewer');
    const bad = await viewer().post('/api/charges/not-a-uuid/release').send({ justification: 'x' }).expect(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed' });
    await viewer().get('/api/dead-letters/accession/5f1c2a7e-8d0b-4a53-9f7e-3a5b8c1d2e4f').expect(400);
    await viewer().get('/api/cases?search=..%2Fadmin').expect(400);
    const down = await viewer().get('/api/review-queue').expect(502);
    expect(down.body).toMatchObject({ error: 'upstream_unavailable' });
    const merged = await viewer().get('/api/dead-letters').expect(200);
    expect(merged.body.missing.map((m: { service: string }) => m.service).sort()).toEqual(['billing', 'qc', 'scanner-events']);
  });

  it('refuses a caller without a slidecharge role', async () => {
    await asCaller(app.getHttpServer(), 'no-role').get('/api/overview').expect(403);
  });
});
