import { execFileSync } from 'node:child_process';
import { Client, Pool } from 'pg';
import type { SqlExecutor } from '@slidecharge/messaging';
import { ServiceName, serviceDatabaseUrl, testEnv, WORKSPACE_ROOT } from '@slidecharge/testing';
import { assertLeastPrivilegedDatabaseRole, ConfigError, readDatabaseRoles } from '../src';

/**
 * Each service's own Postgres role, as scripts/ensure-database.mjs makes it (globalSetup ran it on the
 * test database): it reads and writes its own schema and nothing else, cannot make schemas, roles or
 * databases, and passes the check every service runs at start, which refuses the administrator.
 */
const SERVICES: [ServiceName, string, string][] = [
  ['accession', 'accession', 'slidecharge_accession'],
  ['scanner-events', 'scanner', 'slidecharge_scanner'],
  ['qc', 'qc', 'slidecharge_qc'],
  ['billing', 'billing', 'slidecharge_billing'],
  ['ops-console', 'ops_console', 'slidecharge_ops_console'],
];
const { databaseUrl } = testEnv();
const admin = new Pool({ connectionString: databaseUrl });

/** A SqlExecutor over one pg client, as the services' Prisma client is. */
const executor = (client: Pick<Client, 'query'>): Pick<SqlExecutor, '$queryRawUnsafe'> => ({
  $queryRawUnsafe: async <T>(q: string, ...v: unknown[]) => (await client.query(q, v)).rows as T,
});

/** The SQLSTATE of a statement that must fail (undefined when it did not). */
async function errorCodeOf(client: Pick<Client, 'query'>, sql: string): Promise<string | undefined> {
  try {
    await client.query(sql);
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

afterAll(() => admin.end());

describe.each(SERVICES)('the %s role', (service, schema, role) => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ connectionString: serviceDatabaseUrl(service) });
    await client.connect();
  });

  afterAll(() => client?.end());

  it(`is ${role}, not a superuser, and passes the check the services run at start`, async () => {
    const { rows } = await client.query('SELECT current_user AS "user", current_setting($1) AS "searchPath"', ['search_path']);
    expect(rows[0]).toEqual({ user: role, searchPath: schema });
    const [attributes] = await readDatabaseRoles(executor(client));
    expect(attributes).toEqual({
      name: role,
      superuser: false,
      createRole: false,
      createDatabase: false,
      bypassRls: false,
      replication: false,
      ownsDatabase: false,
      createInDatabase: false,
      memberOf: [],
    });
    await expect(assertLeastPrivilegedDatabaseRole(executor(client), service)).resolves.toEqual([role]);
  });

  it(`reads and writes its own schema (${schema}) and may create tables in it`, async () => {
    await client.query('BEGIN');
    try {
      if (schema === 'ops_console') {
        // The ops console publishes nothing (no outbox): its inbox instead.
        await client.query(`INSERT INTO "${schema}".consumed_event (consumer, event_id, topic) VALUES ('role-probe', gen_random_uuid()::text, 'probe')`);
      } else {
        await client.query(`INSERT INTO "${schema}".outbox (id, topic, key, payload, headers) VALUES (gen_random_uuid(), 'probe', 'k', '{}', '{}')`);
      }
      const table = schema === 'ops_console' ? 'consumed_event' : 'outbox';
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".${table} WHERE topic = 'probe'`);
      expect(rows[0].n).toBe(1);
      await client.query(`CREATE TABLE "${schema}".role_probe (id int)`);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('owns its schema and every table in it', async () => {
    const { rows } = await admin.query(
      `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 UNION SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1`,
      [schema],
    );
    expect(rows).toEqual([{ owner: role }]);
  });

  it.each(SERVICES.filter(([other]) => other !== service).map(([, otherSchema]) => otherSchema))(
    'cannot read or write the tables of schema %s (permission denied)',
    async (otherSchema) => {
      expect(await errorCodeOf(client, `SELECT count(*) FROM "${otherSchema}".outbox`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await errorCodeOf(client, `DELETE FROM "${otherSchema}".outbox`)).toBe(INSUFFICIENT_PRIVILEGE);
      expect(await errorCodeOf(client, `CREATE TABLE "${otherSchema}".intruder (id int)`)).toBe(INSUFFICIENT_PRIVILEGE);
    },
  );

  it('cannot create a schema, a role, a database, a temporary table or anything in schema public', async () => {
    expect(await errorCodeOf(client, 'CREATE SCHEMA intruder')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await errorCodeOf(client, 'CREATE ROLE intruder')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await errorCodeOf(client, 'CREATE DATABASE intruder')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await errorCodeOf(client, 'CREATE TEMPORARY TABLE intruder (id int)')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await errorCodeOf(client, 'CREATE TABLE public.intruder (id int)')).toBe(INSUFFICIENT_PRIVILEGE);
    expect(await errorCodeOf(client, `ALTER ROLE ${role} SUPERUSER`)).toBe(INSUFFICIENT_PRIVILEGE);
  });
});

describe('the administrator (the DATABASE_URL the tests and scripts are given)', () => {
  it('is refused by the check every service runs at start, with the role named and what to do', async () => {
    const client = await admin.connect();
    try {
      const refusal = assertLeastPrivilegedDatabaseRole(executor(client), 'billing');
      await expect(refusal).rejects.toBeInstanceOf(ConfigError);
      await expect(refusal).rejects.toThrow(/DATABASE_URL connects as Postgres role "[^"]+", which is a superuser\. billing must connect as its own/);
    } finally {
      client.release();
    }
  });
});

describe('role passwords', () => {
  /** Asks scripts/lib/scram.mjs, the code that wrote the verifier, whether it matches the password. */
  const verifierMatches = (verifier: string, password: string): boolean =>
    execFileSync(process.execPath, ['--input-type=module', '-e', `
      import { verifierMatches } from './scripts/lib/scram.mjs';
      process.stdout.write(String(verifierMatches(process.env.VERIFIER, process.env.PASSWORD)));`], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, VERIFIER: verifier, PASSWORD: password },
      encoding: 'utf8',
    }) === 'true';

  // pg_hba here trusts 127.0.0.1, so no login checks a password: these prove the stored verifier is the
  // one Postgres's scram-sha-256 authentication would accept for the password in each service's URL.
  it('match what Postgres itself computes from a password', async () => {
    const client = await admin.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL password_encryption = 'scram-sha-256'`);
      await client.query(`CREATE ROLE scram_probe PASSWORD 'correct horse battery staple'`);
      const { rows } = await client.query(`SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_probe'`);
      expect(verifierMatches(rows[0].rolpassword, 'correct horse battery staple')).toBe(true);
      expect(verifierMatches(rows[0].rolpassword, 'correct horse battery stapler')).toBe(false);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it.each(SERVICES)('of %s are stored as SCRAM-SHA-256 verifiers of the password in its URL', async (service, _schema, role) => {
    const { rows } = await admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
    expect(rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    const password = decodeURIComponent(new URL(serviceDatabaseUrl(service)).password);
    expect(verifierMatches(rows[0].rolpassword, password)).toBe(true);
  });
});
