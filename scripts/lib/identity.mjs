// Tokens and keys for the project's own scripts (demos, benchmark, token CLI) on a development machine:
// access tokens from the development identity provider (scripts/idp.sh, users and clients of
// tools/keycloak/realm.mjs, secrets in <cache>/secrets/idp.json), and the stack's scanner development
// key (<cache>/secrets/scanner-dev-api-key, made once). libs/testing/src/identity.ts does the same for tests.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { secretsDirectory } from './service-roles.mjs';

export const ISSUER = process.env.OIDC_ISSUER ?? `http://127.0.0.1:${process.env.IDP_PORT ?? 8180}/realms/slidecharge`;

/** Who a script can act as: people (password grant, development only) and machine clients. */
export const CALLERS = {
  'billing-reviewer': { user: 'reviewer' },
  'billing-admin': { user: 'billing-admin' },
  'integration-admin': { user: 'integration-admin' },
  'ops-viewer': { user: 'ops-viewer' },
  'lis-integration': { client: 'lis-integration' },
  'billing-system': { client: 'billing-system', scope: 'system/ChargeItem.read' },
  'ops-dashboard': { client: 'ops-dashboard' },
};

function idpSecrets() {
  const file = process.env.IDP_SECRETS_FILE ?? join(secretsDirectory(), 'idp.json');
  if (!existsSync(file)) throw new Error(`no ${file}: start the identity provider first (bash scripts/idp.sh start)`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * The development password of a person (billing-reviewer, billing-admin, integration-admin, ops-viewer),
 * to sign in to the ops console in a browser. Development identity provider only.
 */
export function passwordOf(caller) {
  const spec = CALLERS[caller];
  if (!spec?.user) throw new Error(`${caller} is not a person; one of ${Object.entries(CALLERS).filter(([, s]) => s.user).map(([n]) => n).join(', ')}`);
  return { user: spec.user, password: idpSecrets().users[spec.user] };
}

function form(caller) {
  const spec = CALLERS[caller];
  if (!spec) throw new Error(`unknown caller ${caller}; one of ${Object.keys(CALLERS).join(', ')}`);
  const secrets = idpSecrets();
  if (spec.user) return { grant_type: 'password', client_id: 'slidecharge-cli', username: spec.user, password: secrets.users[spec.user], scope: 'openid' };
  return { grant_type: 'client_credentials', client_id: spec.client, client_secret: secrets.clients[spec.client], ...(spec.scope ? { scope: spec.scope } : {}) };
}

const cache = new Map();

/** An access token for the caller from the identity provider's token endpoint, reused until shortly before it expires. */
export async function tokenFor(caller) {
  const cached = cache.get(caller);
  if (cached && cached.expiresAt - Date.now() > 30_000) return cached.token;
  const res = await fetch(`${ISSUER}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form(caller)).toString(),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`no token for ${caller} from ${ISSUER}: ${res.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  cache.set(caller, { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 });
  return body.access_token;
}

export async function bearer(caller) {
  return { authorization: `Bearer ${await tokenFor(caller)}` };
}

/**
 * The stack's scanner development key (SCANNER_DEV_API_KEY): random per machine, made once, kept in
 * the secrets folder. A key in the repository would be public; scanner-events refuses this one outside
 * SLIDECHARGE_ENV=development and deletes it from its database when the variable is gone.
 */
export function scannerDevKey() {
  if (process.env.SCANNER_API_KEY) return process.env.SCANNER_API_KEY;
  if (process.env.SCANNER_DEV_API_KEY) return process.env.SCANNER_DEV_API_KEY;
  const dir = secretsDirectory();
  const file = join(dir, 'scanner-dev-api-key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `sck_dev${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return readFileSync(file, 'utf8').trim();
}
