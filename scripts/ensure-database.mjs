#!/usr/bin/env node
// Creates the database named in DATABASE_URL when it does not exist yet (connects to "postgres" to do so).
import pg from 'pg';

const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/slidecharge');
const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unexpected database name ${name}`);
const admin = new URL(url);
admin.pathname = '/postgres';
const client = new pg.Client({ connectionString: admin.toString() });
try {
  await client.connect();
} catch (e) {
  console.error(`cannot reach Postgres at ${url.host}: ${e.message}`);
  console.error('on these machines: pg_ctlcluster --skip-systemctl-redirect 15 main start');
  process.exit(1);
}
const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
if (rowCount === 0) {
  await client.query(`CREATE DATABASE "${name}"`);
  console.log(`created database ${name}`);
}
await client.end();
