#!/usr/bin/env node
// Prisma for every service, offline. Usage:
//   node scripts/prisma.mjs generate [service...]   generate each service's client (no database needed)
//   node scripts/prisma.mjs migrate [service...]    apply committed migrations (npm run db:migrate)
//   node scripts/prisma.mjs new-migration <service> <name>
//                                                   write the SQL from the last committed schema to the current one
// Services and their Postgres schemas: accession, scanner-events (schema "scanner"), qc, billing.
// Works with no binary download: generate needs no engine, and migrate runs Prisma's bundled
// WebAssembly schema engine through a pg driver adapter (prisma/<service>/prisma.config.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = ['accession', 'scanner-events', 'qc', 'billing'];
const PG_SCHEMA = { accession: 'accession', 'scanner-events': 'scanner', qc: 'qc', billing: 'billing' };
const prismaBin = join(root, 'node_modules/.bin/prisma');
// The CLI checks for the classic query-engine library even when the generator uses engineType
// "client" (which needs none) and tries to download it. Pointing the check at an existing file
// skips the download; the file is never loaded.
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? join(root, 'package.json'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/slidecharge',
};

const run = (args) => execFileSync(prismaBin, args, { cwd: root, env, stdio: 'inherit' });
const pick = (names) => {
  const unknown = names.filter((n) => !SERVICES.includes(n));
  if (unknown.length) throw new Error(`unknown service(s): ${unknown.join(', ')}; known: ${SERVICES.join(', ')}`);
  return names.length ? names : SERVICES.filter((s) => existsSync(join(root, 'prisma', s, 'schema.prisma')));
};

const [command, ...rest] = process.argv.slice(2);
if (command === 'generate') {
  for (const s of pick(rest)) run(['generate', '--config', `prisma/${s}/prisma.config.ts`]);
} else if (command === 'migrate') {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  for (const s of pick(rest)) {
    console.log(`[db:migrate] ${s} (schema ${PG_SCHEMA[s]})`);
    // The migration history table lives in the service's schema, which must exist before the first run.
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${PG_SCHEMA[s]}"`);
    run(['migrate', 'deploy', '--config', `prisma/${s}/prisma.config.ts`]);
  }
  await client.end();
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
