import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { eventually, FaultProxy, testEnv } from '../src';

/**
 * A real pg client through the fault proxy to the test Postgres, as a service's connection would go
 * in the fault campaign: queries pass, latency slows them, a reset fails the query in flight with a
 * connection error, a blackhole makes a connect time out, and new clients work after clear().
 */
const { databaseUrl } = testEnv();
const run = randomUUID().slice(0, 8);
const applicationName = `fault-proxy-${run}`;
const target = new URL(databaseUrl);
let proxy: FaultProxy;
/** A connection straight to Postgres: it watches and cleans up what went through the proxy. */
const direct = new Client({ connectionString: databaseUrl });
const clients: Client[] = [];

/** A client of the test database that connects through the proxy. */
function viaProxy(connectionTimeoutMillis = 10_000): Client {
  const url = new URL(databaseUrl);
  url.hostname = proxy.address.host;
  url.port = String(proxy.address.port);
  const client = new Client({ connectionString: url.toString(), application_name: applicationName, connectionTimeoutMillis });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function failure(call: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await call;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('it succeeded');
}

beforeAll(async () => {
  proxy = await FaultProxy.start({ name: 'postgres', listen: { host: '127.0.0.1' }, upstream: { host: target.hostname, port: Number(target.port || 5432) } });
  await direct.connect();
});

afterEach(async () => {
  await proxy.clear();
  for (const client of clients.splice(0)) await client.end().catch(() => undefined);
  // A backend whose client was reset in the middle of pg_sleep sleeps on until it next writes.
  await direct.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
});

afterAll(async () => {
  await direct.end();
  await proxy.close();
});

it('queries go through', async () => {
  const client = viaProxy();
  await client.connect();
  const { rows } = await client.query<{ answer: number }>('SELECT 41 + 1 AS answer');
  expect(rows).toEqual([{ answer: 42 }]);
  expect(proxy.counters.bytesToUpstream).toBeGreaterThan(0);
});

it('latency slows each query by at least a round trip of it', async () => {
  const client = viaProxy();
  await client.connect();
  proxy.latency(150);
  const started = performance.now();
  await client.query('SELECT 1');
  expect(performance.now() - started).toBeGreaterThanOrEqual(300);
});

it('reset: the query in flight fails with a connection error; a new client works after clear()', async () => {
  const client = viaProxy();
  await client.connect();
  const sleeping = failure(client.query('SELECT pg_sleep(30)'));
  await eventually(async () => {
    const { rows } = await direct.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE 'SELECT pg_sleep%'`, [applicationName]);
    return rows.length === 1 ? true : undefined;
  }, 10_000, 'the query running in Postgres');
  expect(proxy.reset()).toBe(1);
  const error = await sleeping;
  expect(error.code).toBe('ECONNRESET');
  await proxy.clear();
  const fresh = viaProxy();
  await fresh.connect();
  expect((await fresh.query<{ ok: boolean }>('SELECT true AS ok')).rows).toEqual([{ ok: true }]);
});

it('blackhole: a new client cannot connect (its connect times out); after clear() it can', async () => {
  proxy.blackhole();
  const error = await failure(viaProxy(500).connect());
  expect(error.message).toMatch(/timeout/i);
  await proxy.clear();
  const client = viaProxy();
  await client.connect();
  expect((await client.query<{ ok: boolean }>('SELECT true AS ok')).rows).toEqual([{ ok: true }]);
});

it('refuse: a connect is refused (ECONNREFUSED); after restore() it works', async () => {
  proxy.refuse();
  expect((await failure(viaProxy().connect())).code).toBe('ECONNREFUSED');
  await proxy.restore();
  const client = viaProxy();
  await client.connect();
  expect((await client.query<{ ok: boolean }>('SELECT true AS ok')).rows).toEqual([{ ok: true }]);
});
