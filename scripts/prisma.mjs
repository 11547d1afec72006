#!/usr/bin/env node
// Prisma for every service, offline. Usage:
//   node scripts/prisma.mjs generate [service...]   generate each service's client (no database needed)
//   node scripts/prisma.mjs migrate [service...]    apply committed migrations (npm run db:migrate)
//   node scripts/prisma.mjs new-migration <service> <name>
//                                                   write the SQL from the last committed schema to the current one
// Services and their Postgres schemas and roles: scripts/lib/service-roles.mjs. `migrate` first runs the
// setup (database, roles, schemas; scripts/lib/database-setup.mjs) with the administrator's DATABASE_URL,
// then applies each service's migrations as that service's own role, so what they create is the role's.
// Works with no binary download: generate needs no engine, and migrate runs Prisma's bundled
// WebAssembly schema engine through a pg driver adapter (prisma/<service>/prisma.config.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUpDatabase } from './lib/database-setup.mjs';
import { adminDatabaseUrl, serviceDatabaseUrl, serviceRole, SERVICES } from './lib/service-roles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prismaBin = join(root, 'node_modules/.bin/prisma');
// The CLI checks for the classic query-engine library even when the generator uses engineType
// "client" (which needs none) and tries to download it. Pointing the check at an existing file
// skips the download; the file is never loaded.
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? join(root, 'package.json'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
  DATABASE_URL: adminDatabaseUrl(),
};

const run = (args, extraEnv = {}) => execFileSync(prismaBin, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: 'inherit' });
const pick = (names) => {
  const unknown = names.filter((n) => !SERVICES.includes(n));
  if (unknown.length) throw new Error(`unknown service(s): ${unknown.join(', ')}; known: ${SERVICES.join(', ')}`);
  return names.length ? names : SERVICES.filter((s) => existsSync(join(root, 'prisma', s, 'schema.prisma')));
};

const [command, ...rest] = process.argv.slice(2);
if (command === 'generate') {
  for (const s of pick(rest)) run(['generate', '--config', `prisma/${s}/prisma.config.ts`]);
} else if (command === 'migrate') {
  const adminUrl = env.DATABASE_URL;
  await setUpDatabase(adminUrl);
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const s of pick(rest)) {
      const { schema, role } = serviceRole(s);
      console.log(`[db:migrate] ${s} (schema ${schema}, as role ${role})`);
      await asRoleThatOwnsSchema(admin, s, () => run(['migrate', 'deploy', '--config', `prisma/${s}/prisma.config.ts`], { DATABASE_URL: serviceDatabaseUrl(adminUrl, s) }));
    }
  } finally {
    await admin.end();
  }
} else if (command === 'new-migration') {
  const [service, name] = rest;
  pick([service]);
  if (!name || !/^[a-z0-9_]+$/.test(name)) throw new Error('usage: new-migration <service> <snake_case_name>');
  const dir = join(root, 'prisma', service, 'migrations');
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((d) => /^\d{4}_/.test(d)).sort();
  const from = ['--from-empty'];
  if (existing.length) {
    // The previous schema is the one in git HEAD: diffing schema to schema needs no shadow database.
    const previous = execFileSync('git', ['show', `HEAD:prisma/${service}/schema.prisma`], { cwd: root });
    const tmp = join(root, 'tmp', `${service}.previous.prisma`);
    mkdirSync(dirname(tmp), { recursive: true });
    writeFileSync(tmp, previous);
    from.splice(0, 1, '--from-schema-datamodel', tmp);
  }
  const sql = execFileSync(
    prismaBin,
    ['migrate', 'diff', ...from, '--to-schema-datamodel', `prisma/${service}/schema.prisma`, '--script', '--config', `prisma/${service}/prisma.config.ts`],
    { cwd: root, env },
  ).toString();
  const folder = join(dir, `${String(existing.length + 1).padStart(4, '0')}_${name}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'migration.sql'), sql);
  if (!existsSync(join(dir, 'migration_lock.toml'))) writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  console.log(`wrote ${folder}/migration.sql`);
} else {
  console.error('usage: prisma.mjs generate|migrate [service...] | new-migration <service> <name>');
  process.exit(2);
}

/**
 * Runs the service's migrations as its role. A service's first migration (Prisma writes it) starts with
 * CREATE SCHEMA IF NOT EXISTS, which Postgres refuses without CREATE on the database even when the schema
 * exists (the setup made it). Only while such a migration is pending does the role get CREATE on the
 * database, taken back right after (and by every setup run, should this process die in between).
 */
async function asRoleThatOwnsSchema(admin, service, migrate) {
  const { schema, role } = serviceRole(service);
  const database = (await admin.query('SELECT current_database() AS name')).rows[0].name;
  const needsCreate = (await pendingMigrations(admin, service, schema)).some((sql) => /\bCREATE\s+SCHEMA\b/i.test(sql));
  const grant = (verb) => admin.query(`${verb} CREATE ON DATABASE "${database}" ${verb === 'GRANT' ? 'TO' : 'FROM'} "${role}"`);
  if (needsCreate) await grant('GRANT');
  try {
    migrate();
  } finally {
    if (needsCreate) await grant('REVOKE');
  }
}

/** The SQL of the service's committed migrations not yet applied to its schema. */
async function pendingMigrations(admin, service, schema) {
  const dir = join(root, 'prisma', service, 'migrations');
  const { rows } = await admin.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`"${schema}"._prisma_migrations`]);
  const applied = rows[0].present
    ? new Set((await admin.query(`SELECT migration_name FROM "${schema}"._prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)).rows.map((r) => r.migration_name))
    : new Set();
  return readdirSync(dir)
    .filter((name) => /^\d{4}_/.test(name) && !applied.has(name))
    .map((name) => readFileSync(join(dir, name, 'migration.sql'), 'utf8'));
}
