import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createServiceApp } from '@slidecharge/service-kit';
import { bearer, eventually, fetchToken, identityEnv, serviceDatabaseUrl, testEnv, tokenFor } from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { loadServiceConfig } from '../src/config';
import { QC_SERVICE } from '../src/openapi';

/**
 * How a service authenticates callers, tried on qc (the same service-kit code guards all four):
 * tokens from the real identity provider (scripts/idp.sh), each way a token can be wrong, the roles,
 * the throttling of failures, and an identity provider that cannot be reached.
 */
const { kafkaEnv } = testEnv();
const env = (over: Record<string, string> = {}) => ({
  ...kafkaEnv,
  DATABASE_URL: serviceDatabaseUrl('qc'),
  LOG_LEVEL: 'fatal',
  SLIDECHARGE_ENV: 'production',
  ...identityEnv(),
  OIDC_CLOCK_TOLERANCE_SECONDS: '0',
  ...over,
});

async function startQc(over: Record<string, string> = {}): Promise<INestApplication> {
  const app = await createServiceApp(AppModule.forRoot(loadServiceConfig(env(over))), QC_SERVICE, { logger: false });
  await app.init();
  return app;
}

let app: INestApplication;
beforeAll(async () => {
  app = await startQc();
});
afterAll(async () => {
  await app?.close();
});

const get = (path: string) => request(app.getHttpServer()).get(path);

/** A token whose payload says something else than what was signed (roles changed after signing). */
function tampered(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  claims['roles'] = ['billing-admin', 'ops-viewer', 'integration-admin', 'billing-reviewer'];
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

describe('a route that needs a token', () => {
  it('answers 200 to a person with an allowed role', async () => {
    const res = await get('/qc/rules').set(await bearer('ops-viewer'));
    expect(res.status).toBe(200);
    expect(res.body.rules).toBeDefined();
  });

  it('answers 401 with WWW-Authenticate and a reason without a token', async () => {
    const res = await get('/qc/rules');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="slidecharge"');
    expect(res.body).toEqual({ error: 'unauthorized', message: expect.stringContaining('bearer token') });
  });

  it.each([
    ['a token of another issuer', async () => tokenFor('elsewhere'), /another identity provider|key the identity provider does not publish/],
    ['a token for another audience', async () => tokenFor('other-audience'), /audience/],
    ['a tampered token', async () => tampered(await tokenFor('ops-viewer')), /signature/],
    ['garbage', async () => 'not.a.jwt', /not a valid JWT/],
  ])('answers 401 invalid_token to %s', async (_, token, reason) => {
    const res = await get('/qc/rules').set('authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.body.message).toMatch(reason);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="slidecharge", error="invalid_token", error_description="/);
  });

  it('answers 401 to a token once it has expired', async () => {
    const { token, expiresAt } = await fetchToken('short-lived');
    expect((await get('/qc/rules').set('authorization', `Bearer ${token}`)).status).toBe(200);
    // The barrier is the token's own expiry (2 s lifespan, no clock tolerance in this app).
    const res = await eventually(async () => {
      if (Date.now() < expiresAt + 1000) return undefined;
      const answer = await get('/qc/rules').set('authorization', `Bearer ${token}`);
      return answer.status === 401 ? answer : undefined;
    }, 15_000, 'the short-lived token to expire');
    expect(res.body).toEqual({ error: 'invalid_token', message: 'the token has expired' });
  });

  it('answers 403 naming the roles to a valid token without an allowed role', async () => {
    const res = await get('/qc/rules').set(await bearer('no-role'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'forbidden', message: expect.stringContaining('needs one of the roles ops-viewer, billing-reviewer, billing-admin, integration-admin') });
    const machine = await get('/qc/rules').set(await bearer('lis-integration'));
    expect(machine.status).toBe(403);
    expect(machine.body.message).toContain('the caller has service');
  });

  it('answers 401, not 404, for a path that does not exist, and 404 once authenticated', async () => {
    expect((await get('/no/such/route')).status).toBe(401);
    expect((await get('/no/such/route').set(await bearer('ops-viewer'))).status).toBe(404);
  });

  it('keeps health probes open and puts metrics and API docs behind a token in production', async () => {
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(401);
    expect((await get('/metrics').set(await bearer('ops-dashboard'))).status).toBe(200);
    expect((await get('/metrics').set(await bearer('no-role'))).status).toBe(403);
    expect((await get('/openapi.json')).status).toBe(401);
    const docs = await get('/openapi.json').set(await bearer('ops-viewer'));
    expect(docs.status).toBe(200);
    expect(docs.body.components.securitySchemes.oidc).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(docs.body.paths['/qc/rules'].get.security).toEqual([{ oidc: [] }]);
  });

  it('reports the identity provider in readiness', async () => {
    const res = await get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'identity-provider', status: 'up' })]));
  });
});

describe('throttling and an unreachable identity provider', () => {
  it('refuses an address with 429 after too many failed authentications, even with a good token then', async () => {
    const strict = await startQc({ HTTP_AUTH_FAILURES_PER_MINUTE: '5', HTTP_AUTH_BLOCK_SECONDS: '60' });
    try {
      const server = strict.getHttpServer();
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await request(server).get('/qc/rules').set('x-api-key', `sck_wrong${i}x_${'A'.repeat(43)}`)).status);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses.slice(6)).toEqual([429, 429]);
      const blocked = await request(server).get('/qc/rules').set(await bearer('ops-viewer'));
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await request(server).get('/health/live')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('answers 503, not 401, while the identity provider cannot be reached, and says so in readiness', async () => {
    const cut = await startQc({ OIDC_ISSUER: 'http://127.0.0.1:9/realms/slidecharge' });
    try {
      const res = await request(cut.getHttpServer()).get('/qc/rules').set(await bearer('ops-viewer'));
      expect(res.status).toBe(503);
      expect(res.body.error).toBe('temporarily_unavailable');
      const ready = await request(cut.getHttpServer()).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'identity-provider', status: 'down' })]));
    } finally {
      await cut.close();
    }
  });
});
