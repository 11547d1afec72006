import { randomUUID } from 'node:crypto';
import { ACCESS_MATRIX, Role, RouteAccess, RouteKey, ServiceName } from '@slidecharge/service-kit';
import { eventually, fetchToken, freePort, ServiceProcess, TestCaller, tokenFor } from '@slidecharge/testing';

/**
 * Tried as an attacker and as every kind of user would, on 127.0.0.1: the four services as separate
 * processes in production mode, every route of ACCESS_MATRIX called by every kind of caller, with
 * tokens from the real identity provider (and API keys made through the API). A route answers 401
 * without a valid credential, 403 with the wrong role or scope, and anything else (2xx, 400, 404...)
 * to a caller it lets in. The expectations are written out here from the roles each caller holds, not
 * computed by the code under test.
 */
const services = {} as Record<ServiceName, ServiceProcess>;
const NAMES: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];

/** What each test caller holds in the development realm (tools/keycloak/realm.mjs). */
const HOLDS: Partial<Record<TestCaller, { roles: Role[]; scopes: string[] }>> = {
  'billing-reviewer': { roles: ['billing-reviewer'], scopes: [] },
  'billing-admin': { roles: ['billing-admin'], scopes: [] },
  'integration-admin': { roles: ['integration-admin'], scopes: [] },
  'ops-viewer': { roles: ['ops-viewer'], scopes: [] },
  'no-role': { roles: [], scopes: [] },
  'lis-integration': { roles: ['service'], scopes: [] },
  'billing-system': { roles: ['service'], scopes: ['system/ChargeItem.read'] },
  'billing-system-without-scope': { roles: ['service'], scopes: [] },
  'ops-dashboard': { roles: ['ops-viewer'], scopes: [] },
};
const SIGNED_IN = Object.keys(HOLDS) as TestCaller[];
/** Valid tokens that must be refused: another audience, another issuer. */
const REFUSED_TOKENS: TestCaller[] = ['other-audience', 'elsewhere'];

type Expected = 'in' | 401 | 403 | 404;

/**
 * The answer a caller must get: written from the matrix's roles and scopes and what the caller holds.
 * A scanner API key is a credential for scanner-events only; elsewhere it is no credential at all.
 */
function expected(service: ServiceName, access: RouteAccess, caller: TestCaller | 'api-key' | 'anonymous'): Expected {
  if (access.who === 'anyone') return 'in';
  if (caller === 'anonymous') return 401;
  if (caller === 'api-key') return service !== 'scanner-events' ? 401 : access.who === 'scanner-client' ? 'in' : 403;
  const holds = HOLDS[caller] as { roles: Role[]; scopes: string[] };
  // Metrics are authenticated in production mode: the route's roles apply like any other.
  const roles = access.who === 'scanner-client' ? (access.orRoles ?? []) : access.roles;
  if (!holds.roles.some((r) => roles.includes(r))) return 403;
  if (access.who === 'signed-in' && access.smart && !holds.scopes.includes('system/ChargeItem.read')) return 403;
  return 'in';
}

/** A concrete path for a route: parameters filled with well-formed values of nothing that exists. */
function pathOf(route: RouteKey): string {
  const values: Record<string, string> = {
    accessionNumber: `NOPE${randomUUID().slice(0, 8)}`,
    chargeId: randomUUID(),
    deliveryId: randomUUID(),
    eventId: `nope-${randomUUID()}`,
    scanId: randomUUID(),
    barcode: `NOPE-${randomUUID().slice(0, 8)}`,
    policyVersion: `nope-${randomUUID().slice(0, 8)}`,
    id: route.includes('/api-keys') ? '000000000000' : route.includes('/hl7/') ? '2147483647' : randomUUID(),
  };
  return (route.split(' ')[1] as string).replace(/:([A-Za-z]+)/g, (_, name: string) => values[name] ?? 'x');
}

let apiKey = '';

async function call(service: ServiceName, route: RouteKey, credential: Record<string, string>): Promise<number> {
  const [method] = route.split(' ') as [string];
  const res = await fetch(`${services[service].url}${pathOf(route)}`, {
    method,
    headers: { 'content-type': 'application/json', ...credential },
    ...(method === 'GET' ? {} : { body: '{}' }),
  });
  await res.arrayBuffer();
  return res.status;
}

function classify(status: number): Expected {
  if (status === 401 || status === 403) return status;
  return 'in';
}

beforeAll(async () => {
  const env = {
    SLIDECHARGE_ENV: 'production',
    LOG_LEVEL: 'warn',
    // HTTP only here: MLLP (with its sender allow-list, which production requires) is tried in security.e2e-spec.ts.
    ACCESSION_MLLP_ENABLED: 'false',
    OIDC_CLOCK_TOLERANCE_SECONDS: '0',
    // This walk makes hundreds of refused calls from one address on purpose.
    HTTP_AUTH_FAILURES_PER_MINUTE: '100000',
  };
  const ports = await Promise.all(NAMES.map(() => freePort()));
  await Promise.all(NAMES.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env, 'e2e-access-logs').start())));
  const created = await fetch(`${services['scanner-events'].url}/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor('integration-admin')}` },
    body: JSON.stringify({ name: `e2e access walk ${randomUUID().slice(0, 8)}`, scopes: ['scan-events:write', 'scan-events:read', 'dicom:write'] }),
  });
  expect(created.status).toBe(201);
  apiKey = ((await created.json()) as { apiKey: string }).apiKey;
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop()));
});

const routesOf = (service: ServiceName) => Object.entries(ACCESS_MATRIX[service]) as [RouteKey, RouteAccess][];

describe.each(NAMES)('%s', (service) => {
  it('serves exactly the routes of the access matrix', async () => {
    const res = await fetch(`${services[service].url}/openapi.json`, { headers: { authorization: `Bearer ${await tokenFor('ops-viewer')}` } });
    const document = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
    const served = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
    );
    expect(served.sort()).toEqual(Object.keys(ACCESS_MATRIX[service]).sort());
  });

  it('answers every route as the matrix says, for every caller', async () => {
    const credentials: [TestCaller | 'api-key' | 'anonymous', Record<string, string>][] = [
      ['anonymous', {}],
      ['api-key', { 'x-api-key': apiKey }],
      ...(await Promise.all(SIGNED_IN.map(async (c): Promise<[TestCaller, Record<string, string>]> => [c, { authorization: `Bearer ${await tokenFor(c)}` }]))),
    ];
    const wrong: string[] = [];
    for (const [route, access] of routesOf(service)) {
      for (const [caller, credential] of credentials) {
        const want = expected(service, access, caller);
        const got = classify(await call(service, route, credential));
        if (got !== want) wrong.push(`${route} as ${caller}: expected ${want}, got ${got}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses every route but health to tokens that are not good: another audience, another issuer, tampered, expired', async () => {
    const ops = await tokenFor('ops-viewer');
    const [header, payload, signature] = ops.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, roles: ['billing-admin', 'integration-admin', 'billing-reviewer', 'service'] })).toString('base64url')}.${signature}`;
    const expiring = await fetchToken('short-lived');
    await eventually(async () => (Date.now() > expiring.expiresAt + 1000 ? true : undefined), 15_000, 'the short-lived token to expire');
    const bad: [string, string][] = [
      ...(await Promise.all(REFUSED_TOKENS.map(async (c): Promise<[string, string]> => [c, await tokenFor(c)]))),
      ['tampered', tampered],
      ['expired', expiring.token],
      ['unsigned', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`],
    ];
    const wrong: string[] = [];
    for (const [route, access] of routesOf(service)) {
      for (const [kind, token] of bad) {
        const status = await call(service, route, { authorization: `Bearer ${token}` });
        const want = access.who === 'anyone' ? 'in' : 401;
        if (classify(status) !== want) wrong.push(`${route} with a token ${kind}: expected ${want}, got ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
