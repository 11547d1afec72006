// The database and the services' least-privileged roles, set up with the administrator's URL.
// Idempotent: run it as often as you like (scripts/test.sh, scripts/stack.sh and `npm run db:migrate`
// all do); it only writes what differs from the wanted state, and says what it changed.
//
// Wanted state, for each service (service-roles.mjs):
//   - role slidecharge_<x>: LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS, its
//     password (stored as a SCRAM verifier), search_path = its schema;
//   - its schema is owned by it, and so is every table, view, sequence and type already in it (a
//     database made before the roles existed is handed over, _prisma_migrations included);
//   - it may CONNECT to the database, but not CREATE (schemas) nor make TEMPORARY tables there;
//   - nothing on the other services' schemas, nothing on schema public.
// Roles are cluster-wide in Postgres: every database of the cluster (slidecharge, slidecharge_test)
// shares the services' roles and their passwords; each database grants them CONNECT and its schemas.
import pg from 'pg';
import { scramVerifier, verifierMatches } from './scram.mjs';
import { rolePassword, SERVICE_ROLES, SERVICES } from './service-roles.mjs';

const ident = (name) => {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`unexpected Postgres name ${name}`);
  return `"${name}"`;
};

const ROLE_ATTRIBUTES = [
  ['rolcanlogin', true, 'LOGIN'],
  ['rolsuper', false, 'NOSUPERUSER'],
  ['rolcreatedb', false, 'NOCREATEDB'],
  ['rolcreaterole', false, 'NOCREATEROLE'],
  ['rolreplication', false, 'NOREPLICATION'],
  ['rolbypassrls', false, 'NOBYPASSRLS'],
];

const withDatabase = (url, database) => {
  const copy = new URL(url);
  copy.pathname = `/${database}`;
  return copy.toString();
};

async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`cannot reach Postgres at ${new URL(url).host} as ${new URL(url).username || 'the default user'}: ${e.message}\n` +
      'on these machines: pg_ctlcluster --skip-systemctl-redirect 15 main start');
  }
  return client;
}

async function ensureDatabase(maintenance, name, log) {
  const { rowCount } = await maintenance.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount > 0) return;
  await maintenance.query(`CREATE DATABASE ${ident(name)}`);
  log(`created database ${name}`);
}

async function ensureRole(db, service, adminIsSuperuser, log) {
  const { role, schema } = SERVICE_ROLES[service];
  const { password, source } = rolePassword(service, { create: true });
  const found = (await db.query('SELECT * FROM pg_roles WHERE rolname = $1', [role])).rows[0];
  if (!found) {
    await db.query(`CREATE ROLE ${ident(role)} WITH ${ROLE_ATTRIBUTES.map(([, , sql]) => sql).join(' ')}`);
    log(`created role ${role}`);
  } else {
    const wrong = ROLE_ATTRIBUTES.filter(([column, wanted]) => found[column] !== wanted).map(([, , sql]) => sql);
    if (wrong.length) {
      await db.query(`ALTER ROLE ${ident(role)} WITH ${wrong.join(' ')}`);
      log(`role ${role}: set ${wrong.join(' ')}`);
    }
  }
  const setting = `search_path=${schema}`;
  const { rows } = await db.query(
    `SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1 AND s.setdatabase = 0 AND $2 = ANY (s.setconfig)`,
    [role, setting],
  );
  if (!rows.length) await db.query(`ALTER ROLE ${ident(role)} SET search_path = ${ident(schema)}`);
  await ensurePassword(db, role, password, source, adminIsSuperuser, log);
  // Before Postgres 16 an administrator with CREATEROLE (not superuser, as on managed services) is not a
  // member of the roles it creates, and must be one to create a schema for a role and hand objects to it.
  if (!adminIsSuperuser) await db.query(`GRANT ${ident(role)} TO CURRENT_USER`);
}

async function ensurePassword(db, role, password, source, adminIsSuperuser, log) {
  // Only a superuser may read verifiers; anyone else sets the password every time.
  if (adminIsSuperuser) {
    const { rows } = await db.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
    if (verifierMatches(rows[0]?.rolpassword, password)) return;
  }
  await db.query(`ALTER ROLE ${ident(role)} PASSWORD ${db.escapeLiteral(scramVerifier(password))}`);
  log(`role ${role}: password set (from ${source})`);
}

/** CONNECT for the services' roles and no one else; no CREATE or TEMPORARY; schema public closed. */
async function closeDatabase(db, database) {
  const roles = SERVICES.map((s) => ident(SERVICE_ROLES[s].role)).join(', ');
  await db.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
  await db.query(`REVOKE CREATE, TEMPORARY ON DATABASE ${ident(database)} FROM ${roles}`);
  await db.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${roles}`);
  await db.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC, ${roles}`);
}

async function ensureSchema(db, service, log) {
  const { role, schema } = SERVICE_ROLES[service];
  const { rows } = await db.query('SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1', [schema]);
  if (!rows.length) {
    await db.query(`CREATE SCHEMA ${ident(schema)} AUTHORIZATION ${ident(role)}`);
    log(`created schema ${schema} owned by ${role}`);
  } else if (rows[0].owner !== role) {
    await db.query(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(role)}`);
    log(`schema ${schema}: owner ${rows[0].owner} -> ${role}`);
  }
  const handed = await handOverObjects(db, schema, role);
  if (handed) log(`schema ${schema}: ${handed} existing objects (tables, views, sequences, types) handed to ${role}`);
  const others = SERVICES.filter((s) => s !== service).map((s) => ident(SERVICE_ROLES[s].role));
  const grantees = ['PUBLIC', ...others].join(', ');
  await db.query(`REVOKE ALL ON SCHEMA ${ident(schema)} FROM ${grantees}`);
  await db.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${ident(schema)} FROM ${grantees}`);
  await db.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${ident(schema)} FROM ${grantees}`);
}

// Objects in the schema the role does not own, with the ALTER statement that gives them to it. A
// sequence that belongs to a column (serial, identity) follows its table and is not listed.
const FOREIGN_OWNED = `
  SELECT format('ALTER %s %I.%I OWNER TO %I',
           CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
           n.nspname, c.relname, $2::text) AS statement, 1 AS rank
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND pg_get_userbyid(c.relowner) <> $2
     AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
               WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  UNION ALL
  SELECT format('ALTER %s %I.%I OWNER TO %I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, n.nspname, t.typname, $2::text), 2
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r') AND pg_get_userbyid(t.typowner) <> $2
  ORDER BY rank, statement`;

async function handOverObjects(db, schema, role) {
  const { rows } = await db.query(FOREIGN_OWNED, [schema, role]);
  for (const { statement } of rows) await db.query(statement);
  return rows.length;
}

/**
 * Creates the database named in the administrator's URL when missing, then the roles, their grants and
 * schemas in one transaction. Setups of the same cluster wait for each other (roles are shared).
 */
export async function setUpDatabase(adminUrl, log = (line) => console.log(`[db:setup] ${line}`)) {
  const database = decodeURIComponent(new URL(adminUrl).pathname.replace(/^\//, ''));
  ident(database);
  const maintenance = await connect(withDatabase(adminUrl, 'postgres'));
  try {
    await maintenance.query(`SELECT pg_advisory_lock(hashtext('slidecharge:database-setup'))`);
    await ensureDatabase(maintenance, database, log);
    const db = await connect(adminUrl);
    const changes = []; // said once committed: a failure rolls them all back
    const change = (line) => changes.push(line);
    try {
      await db.query('BEGIN');
      const { rows } = await db.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
      for (const service of SERVICES) await ensureRole(db, service, rows[0].rolsuper, change);
      await closeDatabase(db, database);
      for (const service of SERVICES) await ensureSchema(db, service, change);
      await db.query('COMMIT');
      changes.forEach((line) => log(line));
    } catch (e) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      await db.end();
    }
  } finally {
    await maintenance.end(); // ends the session, which releases the advisory lock
  }
}
