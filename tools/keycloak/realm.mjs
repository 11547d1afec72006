#!/usr/bin/env node
// The development identity provider's realms, built from one description (used by scripts/idp.sh).
//
//   node tools/keycloak/realm.mjs write <import-dir> <secrets-file>
//       writes slidecharge-realm.json and elsewhere-realm.json for Keycloak's --import-realm, with the
//       passwords and client secrets of <secrets-file> (made once, mode 0600, when missing)
//   node tools/keycloak/realm.mjs hash <secrets-file>
//       prints a hash of what would be written, so idp.sh re-imports when the description changes
//
// Realm "slidecharge" stands for the hospital's identity provider: one user per role, the machine
// clients, and the client scopes that put what the services check into access tokens:
//   aud   "slidecharge-api"                        (client scope slidecharge-api, audience mapper)
//   roles ["billing-reviewer", ...]                (same scope, realm-role mapper; OIDC_ROLES_CLAIM)
//   scope "... system/ChargeItem.read"             (SMART-style scopes, optional client scopes)
// Realm "elsewhere" is another issuer with the same roles and audience: its tokens must be refused.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const ROLES = ['billing-reviewer', 'billing-admin', 'integration-admin', 'ops-viewer', 'service'];
export const AUDIENCE = 'slidecharge-api';

/** People: user name -> realm roles. `no-role` has a valid account and no slidecharge role. */
export const USERS = {
  reviewer: ['billing-reviewer'],
  'billing-admin': ['billing-admin'],
  'integration-admin': ['integration-admin'],
  'ops-viewer': ['ops-viewer'],
  'no-role': [],
};

/** Machine clients (client credentials grant): client id -> roles, extra scopes, settings. */
export const MACHINE_CLIENTS = {
  // An LIS integration engine posting cases over REST.
  'lis-integration': { roles: ['service'] },
  // A billing system reading FHIR ChargeItems; asks for system/ChargeItem.read.
  'billing-system': { roles: ['service'], optionalScopes: ['system/ChargeItem.read'] },
  // The ops console's backend, reading everything on behalf of dashboards.
  'ops-dashboard': { roles: ['ops-viewer'] },
  // Tests: every role at once, tokens that expire after 2 seconds, and a client whose tokens lack our audience.
  'test-all-roles': { roles: ROLES, optionalScopes: ['system/ChargeItem.read'] },
  'test-short-lived': { roles: ['ops-viewer'], attributes: { 'access.token.lifespan': '2' } },
  'test-other-audience': { roles: ROLES, audience: false },
};

function secret() {
  return randomBytes(24).toString('base64url');
}

/** Passwords and secrets of this machine's realm: made once, kept, never committed. */
export function loadSecrets(file) {
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secrets = {
    adminPassword: stored.adminPassword ?? secret(),
    users: Object.fromEntries(Object.keys(USERS).map((u) => [u, stored.users?.[u] ?? secret()])),
    clients: Object.fromEntries(Object.keys(MACHINE_CLIENTS).map((c) => [c, stored.clients?.[c] ?? secret()])),
    elsewhere: { client: 'intruder', secret: stored.elsewhere?.secret ?? secret() },
  };
  if (JSON.stringify(secrets) !== JSON.stringify(stored)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return secrets;
}

const mapper = (name, protocolMapper, config) => ({ name, protocol: 'openid-connect', protocolMapper, consentRequired: false, config });

const rolesMapper = mapper('realm roles', 'oidc-usermodel-realm-role-mapper', {
  'claim.name': 'roles',
  'jsonType.label': 'String',
  multivalued: 'true',
  'access.token.claim': 'true',
  'id.token.claim': 'false',
  'userinfo.token.claim': 'true',
  'introspection.token.claim': 'true',
});

const audienceMapper = mapper('slidecharge audience', 'oidc-audience-mapper', {
  'included.custom.audience': AUDIENCE,
  'access.token.claim': 'true',
  'id.token.claim': 'false',
  'introspection.token.claim': 'true',
});

/** Client scopes, defined in full because a realm import that lists any replaces Keycloak's defaults. */
function clientScopes() {
  const scope = (name, description, protocolMappers = [], inTokenScope = true) => ({
    name,
    description,
    protocol: 'openid-connect',
    attributes: { 'include.in.token.scope': String(inTokenScope), 'display.on.consent.screen': 'false' },
    protocolMappers,
  });
  return [
    scope('basic', 'sub and auth_time', [
      mapper('sub', 'oidc-sub-mapper', { 'access.token.claim': 'true', 'introspection.token.claim': 'true' }),
      mapper('auth_time', 'oidc-usersessionmodel-note-mapper', {
        'user.session.note': 'AUTH_TIME',
        'claim.name': 'auth_time',
        'jsonType.label': 'long',
        'access.token.claim': 'true',
        'id.token.claim': 'true',
        'introspection.token.claim': 'true',
      }),
    ], false),
    scope('profile', 'user name and full name', [
      mapper('username', 'oidc-usermodel-attribute-mapper', {
        'user.attribute': 'username',
        'claim.name': 'preferred_username',
        'jsonType.label': 'String',
        'access.token.claim': 'true',
        'id.token.claim': 'true',
        'userinfo.token.claim': 'true',
        'introspection.token.claim': 'true',
      }),
      mapper('full name', 'oidc-full-name-mapper', { 'access.token.claim': 'false', 'id.token.claim': 'true', 'userinfo.token.claim': 'true' }),
    ]),
    scope(AUDIENCE, 'audience slidecharge-api and the roles claim', [audienceMapper, rolesMapper], false),
    scope('roles-only', 'the roles claim without our audience (test client)', [rolesMapper], false),
    scope('system/ChargeItem.read', 'SMART: read every ChargeItem as a system'),
    scope('user/ChargeItem.read', 'SMART: read the ChargeItems the user may see'),
  ];
}

function person(username, roles, password) {
  return {
    username,
    enabled: true,
    emailVerified: true,
    firstName: username,
    lastName: 'Test',
    email: `${username}@slidecharge.invalid`,
    credentials: [{ type: 'password', value: password, temporary: false }],
    realmRoles: roles,
    requiredActions: [],
  };
}

function machine(clientId, spec, clientSecret) {
  return {
    clientId,
    enabled: true,
    publicClient: false,
    clientAuthenticatorType: 'client-secret',
    secret: clientSecret,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
    implicitFlowEnabled: false,
    protocol: 'openid-connect',
    attributes: spec.attributes ?? {},
    defaultClientScopes: ['basic', spec.audience === false ? 'roles-only' : AUDIENCE],
    optionalClientScopes: spec.optionalScopes ?? [],
  };
}

function serviceAccount(clientId, roles) {
  return { username: `service-account-${clientId}`, enabled: true, serviceAccountClientId: clientId, realmRoles: roles };
}

/** The public client people sign in with: the CLI token helper (password grant, development only) and browsers (code + PKCE). */
function cliClient() {
  return {
    clientId: 'slidecharge-cli',
    enabled: true,
    publicClient: true,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: true,
    implicitFlowEnabled: false,
    serviceAccountsEnabled: false,
    protocol: 'openid-connect',
    redirectUris: ['http://127.0.0.1:*', 'http://localhost:*'],
    webOrigins: ['+'],
    attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '+' },
    defaultClientScopes: ['basic', 'profile', AUDIENCE],
    optionalClientScopes: ['user/ChargeItem.read'],
  };
}

/**
 * Origins the ops console is served from: the console's server (3005) and Vite's dev server (4300), and
 * those OPS_CONSOLE_ORIGINS lists (comma-separated, e.g. the compose stack's console on a moved port).
 */
export const OPS_CONSOLE_ORIGINS = [
  ...new Set(['http://127.0.0.1:3005', 'http://localhost:3005', 'http://127.0.0.1:4300', 'http://localhost:4300', ...originsFrom(process.env.OPS_CONSOLE_ORIGINS)]),
];

/** The origins of a comma-separated list; anything but a plain http(s) origin (scheme, host, port) stops the script. */
function originsFrom(list) {
  const origins = (list ?? '').split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) throw new Error(`OPS_CONSOLE_ORIGINS: ${origin} is not an origin (scheme://host[:port], no path)`);
  }
  return origins;
}

/**
 * The ops console's browser front end (services/ops-console-web): a public client, authorization code
 * with PKCE (S256) only, the same audience and roles claim as every other client (scope slidecharge-api).
 */
function browserClient(clientId, redirectUris, webOrigins) {
  return {
    clientId,
    enabled: true,
    publicClient: true,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    implicitFlowEnabled: false,
    serviceAccountsEnabled: false,
    protocol: 'openid-connect',
    redirectUris,
    webOrigins,
    attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '+' },
    defaultClientScopes: ['basic', 'profile', AUDIENCE],
    optionalClientScopes: [],
  };
}

function opsConsoleClients() {
  return [
    browserClient('ops-console', OPS_CONSOLE_ORIGINS.map((o) => `${o}/*`), OPS_CONSOLE_ORIGINS),
    // Browser tests: the console runs on a free port of 127.0.0.1, so this client accepts any port there;
    // Keycloak cannot derive CORS origins from a port wildcard, so its token endpoint answers any origin
    // (a development realm's test client, like test-all-roles: never in a hospital's realm).
    browserClient('test-ops-console', ['http://127.0.0.1:*'], ['*']),
  ];
}

export function slidechargeRealm(secrets) {
  return {
    realm: 'slidecharge',
    enabled: true,
    sslRequired: 'external',
    accessTokenLifespan: 300,
    bruteForceProtected: true,
    roles: { realm: ROLES.map((name) => ({ name, description: `slidecharge role ${name}` })) },
    clientScopes: clientScopes(),
    defaultDefaultClientScopes: ['basic', 'profile', AUDIENCE],
    defaultOptionalClientScopes: [],
    clients: [cliClient(), ...opsConsoleClients(), ...Object.entries(MACHINE_CLIENTS).map(([id, spec]) => machine(id, spec, secrets.clients[id]))],
    users: [
      ...Object.entries(USERS).map(([u, roles]) => person(u, roles, secrets.users[u])),
      ...Object.entries(MACHINE_CLIENTS).map(([id, spec]) => serviceAccount(id, spec.roles)),
    ],
  };
}

/** Another issuer with our roles and audience: a token from it must be refused by the services. */
export function elsewhereRealm(secrets) {
  const realm = slidechargeRealm(secrets);
  return {
    ...realm,
    realm: 'elsewhere',
    clients: [machine(secrets.elsewhere.client, { roles: ROLES }, secrets.elsewhere.secret)],
    users: [serviceAccount(secrets.elsewhere.client, ROLES)],
  };
}

function realmFiles(secretsFile) {
  const secrets = loadSecrets(secretsFile);
  return {
    'slidecharge-realm.json': JSON.stringify(slidechargeRealm(secrets), null, 2),
    'elsewhere-realm.json': JSON.stringify(elsewhereRealm(secrets), null, 2),
  };
}

const [command, ...args] = process.argv.slice(2);
if (command === 'write') {
  const [dir, secretsFile] = args;
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(realmFiles(secretsFile))) writeFileSync(join(dir, name), `${text}\n`, { mode: 0o600 });
} else if (command === 'hash') {
  const hash = createHash('sha256');
  for (const text of Object.values(realmFiles(args[0]))) hash.update(text);
  console.log(hash.digest('hex').slice(0, 16));
} else if (command !== undefined) {
  console.error('usage: realm.mjs write <import-dir> <secrets-file> | hash <secrets-file>');
  process.exit(2);
}
