import request from 'supertest';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Access tokens for tests, from the real identity provider that scripts/idp.sh runs (Keycloak, realm
 * "slidecharge", users and clients of tools/keycloak/realm.mjs), through its real token endpoint.
 * No test signs a token of its own.
 */
export type TestCaller =
  /** People (password grant on the public client slidecharge-cli), one per role, and one with no role. */
  | 'billing-reviewer'
  | 'billing-admin'
  | 'integration-admin'
  | 'ops-viewer'
  | 'no-role'
  /** Machines (client credentials): role service; billing-system also asks for system/ChargeItem.read. */
  | 'lis-integration'
  | 'billing-system'
  | 'billing-system-without-scope'
  | 'ops-dashboard'
  /** Test clients: every role (and the FHIR scope); tokens that expire after 2 s; tokens without our audience. */
  | 'all-roles'
  | 'short-lived'
  | 'other-audience'
  /** A client of another issuer (realm "elsewhere") with every role and our audience. */
  | 'elsewhere';

interface IdpSecrets {
  users: Record<string, string>;
  clients: Record<string, string>;
  elsewhere: { client: string; secret: string };
}

const PEOPLE: Partial<Record<TestCaller, string>> = {
  'billing-reviewer': 'reviewer',
  'billing-admin': 'billing-admin',
  'integration-admin': 'integration-admin',
  'ops-viewer': 'ops-viewer',
  'no-role': 'no-role',
};

const MACHINES: Partial<Record<TestCaller, { client: string; scope?: string }>> = {
  'lis-integration': { client: 'lis-integration' },
  'billing-system': { client: 'billing-system', scope: 'system/ChargeItem.read' },
  'billing-system-without-scope': { client: 'billing-system' },
  'ops-dashboard': { client: 'ops-dashboard' },
  'all-roles': { client: 'test-all-roles', scope: 'system/ChargeItem.read' },
  'short-lived': { client: 'test-short-lived' },
  'other-audience': { client: 'test-other-audience' },
};

export function oidcIssuer(): string {
  const issuer = process.env['OIDC_ISSUER'];
  if (!issuer) throw new Error('OIDC_ISSUER is not set: start the identity provider (bash scripts/idp.sh start) and export $(bash scripts/idp.sh env)');
  return issuer;
}

function secrets(): IdpSecrets {
  const file = process.env['IDP_SECRETS_FILE'] ?? join(process.env['SLIDECHARGE_CACHE'] ?? join(homedir(), '.cache/slidecharge'), 'secrets/idp.json');
  return JSON.parse(readFileSync(file, 'utf8')) as IdpSecrets;
}

function grantOf(caller: TestCaller, s: IdpSecrets): { issuer: string; form: Record<string, string> } {
  const person = PEOPLE[caller];
  if (person) {
    return { issuer: oidcIssuer(), form: { grant_type: 'password', client_id: 'slidecharge-cli', username: person, password: s.users[person] ?? '', scope: 'openid' } };
  }
  if (caller === 'elsewhere') {
    return { issuer: oidcIssuer().replace(/\/realms\/[^/]+$/, '/realms/elsewhere'), form: { grant_type: 'client_credentials', client_id: s.elsewhere.client, client_secret: s.elsewhere.secret } };
  }
  const machine = MACHINES[caller] as { client: string; scope?: string };
  const form: Record<string, string> = { grant_type: 'client_credentials', client_id: machine.client, client_secret: s.clients[machine.client] ?? '' };
  if (machine.scope) form['scope'] = machine.scope;
  return { issuer: oidcIssuer(), form };
}

/** A fresh access token for the caller from the identity provider's token endpoint. */
export async function fetchToken(caller: TestCaller): Promise<{ token: string; expiresAt: number }> {
  const { issuer, form } = grantOf(caller, secrets());
  const response = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await response.json()) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) throw new Error(`no token for ${caller}: ${response.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  return { token: body.access_token, expiresAt: Date.now() + (body.expires_in ?? 60) * 1000 };
}

const cache = new Map<TestCaller, { token: string; expiresAt: number }>();

/** An access token for the caller, reused until 30 s before it expires. */
export async function tokenFor(caller: TestCaller): Promise<string> {
  const cached = cache.get(caller);
  if (cached && cached.expiresAt - Date.now() > 30_000) return cached.token;
  const fresh = await fetchToken(caller);
  cache.set(caller, fresh);
  return fresh.token;
}

/** `{ authorization: 'Bearer <token>' }` for supertest's .set() or fetch's headers. */
export async function bearer(caller: TestCaller): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${await tokenFor(caller)}` };
}

/** The identity provider settings a service under test needs (its OIDC_* variables). */
export function identityEnv(): Record<string, string> {
  return { OIDC_ISSUER: oidcIssuer(), OIDC_AUDIENCE: process.env['OIDC_AUDIENCE'] ?? 'slidecharge-api' };
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Server = Parameters<typeof request>[0];

/** Sets the caller's bearer token on a supertest request when it is sent (so a cached token is always fresh). */
function withToken(test: request.Test, caller: TestCaller): request.Test {
  const send = test.then.bind(test);
  test.then = ((resolve, reject) =>
    tokenFor(caller).then((token) => {
      test.set('authorization', `Bearer ${token}`);
      return send(resolve, reject);
    }, reject)) as request.Test['then'];
  return test;
}

/**
 * supertest with the caller's token: `asCaller(app.getHttpServer(), 'billing-reviewer').post('/x')`
 * works like `request(server).post('/x')` with `Authorization: Bearer <token of a reviewer>`.
 */
export function asCaller(server: Server, caller: TestCaller): Record<Method, (path: string) => request.Test> {
  const agent = request(server);
  const method = (m: Method) => (path: string) => withToken(agent[m](path), caller);
  return { get: method('get'), post: method('post'), put: method('put'), patch: method('patch'), delete: method('delete') };
}
