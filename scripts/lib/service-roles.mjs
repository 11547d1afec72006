// Each service's own Postgres role: its name, the schema it owns, its password, and the DATABASE_URL
// the service connects with. The one place that knows these; used by ensure-database.mjs (creates the
// roles), prisma.mjs (migrates as each role), service-database-url.mjs (stack.sh, libs/testing).
//
// A password comes from the environment (SLIDECHARGE_DB_PASSWORD_<SERVICE>) when set, else from a
// secrets file made once by the setup: <cache>/secrets/postgres-<role>.password, mode 0600, where
// <cache> is $SLIDECHARGE_CACHE or ~/.cache/slidecharge (the cache scripts/kafka.sh uses).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const SERVICE_ROLES = Object.freeze({
  accession: { schema: 'accession', role: 'slidecharge_accession', passwordVariable: 'SLIDECHARGE_DB_PASSWORD_ACCESSION' },
  'scanner-events': { schema: 'scanner', role: 'slidecharge_scanner', passwordVariable: 'SLIDECHARGE_DB_PASSWORD_SCANNER_EVENTS' },
  qc: { schema: 'qc', role: 'slidecharge_qc', passwordVariable: 'SLIDECHARGE_DB_PASSWORD_QC' },
  billing: { schema: 'billing', role: 'slidecharge_billing', passwordVariable: 'SLIDECHARGE_DB_PASSWORD_BILLING' },
  'ops-console': { schema: 'ops_console', role: 'slidecharge_ops_console', passwordVariable: 'SLIDECHARGE_DB_PASSWORD_OPS_CONSOLE' },
});
export const SERVICES = Object.keys(SERVICE_ROLES);

/** The administrator's URL (creates the database, the roles, the schemas): DATABASE_URL of the scripts. */
export const DEFAULT_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/slidecharge';
export const adminDatabaseUrl = (env = process.env) => env.DATABASE_URL || DEFAULT_ADMIN_URL;

/** Printable ASCII without spaces, so that it survives a URL, a .env file and SCRAM's SASLprep unchanged. */
const PASSWORD_PATTERN = /^[\x21-\x7e]{16,}$/;

export function serviceRole(service) {
  const entry = SERVICE_ROLES[service];
  if (!entry) throw new Error(`unknown service ${service}; known: ${SERVICES.join(', ')}`);
  return entry;
}

export function secretsDirectory(env = process.env) {
  return join(env.SLIDECHARGE_CACHE || join(homedir(), '.cache', 'slidecharge'), 'secrets');
}

export const secretsFile = (service, env = process.env) => join(secretsDirectory(env), `postgres-${serviceRole(service).role}.password`);

function readSecretsFile(file) {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new Error(`${file} is readable by other users (mode ${mode.toString(8)}): chmod 600 ${file}`);
  const password = readFileSync(file, 'utf8').trim();
  if (!PASSWORD_PATTERN.test(password)) throw new Error(`${file} does not hold a usable password (16+ printable ASCII characters, no spaces)`);
  return password;
}

/** Writes a new random password unless another process wrote one first (then that one is kept). */
function createSecretsFile(file) {
  mkdirSync(secretsDirectory(), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
}

/**
 * The service role's password and where it came from. `create` (the setup only) makes the secrets file
 * when neither the variable nor the file exists; everyone else gets an error that says to run the setup.
 */
export function rolePassword(service, { create = false, env = process.env } = {}) {
  const { passwordVariable, role } = serviceRole(service);
  const given = env[passwordVariable];
  if (given !== undefined && given !== '') {
    if (!PASSWORD_PATTERN.test(given)) throw new Error(`${passwordVariable} must be 16+ printable ASCII characters without spaces`);
    return { password: given, source: passwordVariable };
  }
  const file = secretsFile(service, env);
  try {
    return { password: readSecretsFile(file), source: file };
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
    if (!create) throw new Error(`no password for Postgres role ${role}: set ${passwordVariable} or run node scripts/ensure-database.mjs (it writes ${file})`);
  }
  createSecretsFile(file);
  return { password: readSecretsFile(file), source: file };
}

/** The DATABASE_URL a service runs with: the administrator's host, port and database, the service's role and password. */
export function serviceDatabaseUrl(adminUrl, service, env = process.env) {
  const url = new URL(adminUrl);
  url.username = serviceRole(service).role;
  url.password = encodeURIComponent(rolePassword(service, { env }).password);
  return url.toString();
}
