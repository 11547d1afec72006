import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { eventually, testEnv } from '@slidecharge/testing';
import { PG_CONNECTIONS_KEPT_OPEN, pgTransactions } from '../src';
import { isDatabaseUnavailable } from '../src/database-unavailable';

/**
 * pgTransactions, the raw-SQL transactions of the consumers' hot paths and of the outbox relay, against
 * the real Postgres: what a transaction wrote is there after it resolves and gone after it throws, and
 * its connection carries the timeouts that keep a stuck transaction from holding its locks.
 */
const { databaseUrl } = testEnv();
const admin = new Pool({ connectionString: databaseUrl });
const table = `pg_tx_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const pg = pgTransactions(databaseUrl, { max: 2, timeoutMs: 4_000, applicationName: 'pg-transactions-test' });

beforeAll(async () => {
  await admin.query(`CREATE TABLE public.${table} (id text PRIMARY KEY, n int8 NOT NULL, doc jsonb NOT NULL, at timestamptz NOT NULL)`);
});

afterAll(async () => {
  await pg.end();
  await admin.query(`DROP TABLE IF EXISTS public.${table}`);
  await admin.end();
});

const ids = async () => (await admin.query(`SELECT id FROM public.${table} ORDER BY id`)).rows.map((r) => r.id as string);

it('commits what the function wrote when it resolves, and answers rows as pg parses them', async () => {
  const at = new Date('2026-03-02T10:00:00.123Z');
  const rows = await pg.transaction(async (tx) => {
    const written = await tx.$executeRawUnsafe(`INSERT INTO public.${table} VALUES ($1, $2, $3::jsonb, $4), ($5, $2, $3::jsonb, $4)`, 'a', 7, JSON.stringify({ k: [1] }), at, 'b');
    expect(written).toBe(2);
    return tx.$queryRawUnsafe<{ id: string; n: string; doc: unknown; at: Date }[]>(`SELECT * FROM public.${table} WHERE id = ANY($1::text[]) ORDER BY id`, ['a']);
  });
  expect(rows).toEqual([{ id: 'a', n: '7', doc: { k: [1] }, at }]);
  expect(await ids()).toEqual(['a', 'b']);
});

it('rolls back everything when the function throws, and the connection serves the next transaction', async () => {
  await expect(
    pg.transaction(async (tx) => {
      await tx.$executeRawUnsafe(`INSERT INTO public.${table} VALUES ('c', 1, '{}', now())`);
      throw new Error('handler failed');
    }),
  ).rejects.toThrow('handler failed');
  // A failing statement too (the duplicate key 'a').
  await expect(pg.transaction((tx) => tx.$executeRawUnsafe(`INSERT INTO public.${table} VALUES ('d', 1, '{}', now()), ('a', 1, '{}', now())`))).rejects.toThrow(/duplicate key/);
  expect(await ids()).toEqual(['a', 'b']);
  await pg.transaction((tx) => tx.$executeRawUnsafe(`INSERT INTO public.${table} VALUES ('e', 1, '{}', now())`));
  expect(await ids()).toEqual(['a', 'b', 'e']);
});

it('bounds statements and idle transactions by the timeout, under its application name, without JIT', async () => {
  const settings = await pg.transaction((tx) =>
    tx.$queryRawUnsafe<{ statement: string; idle: string; app: string; jit: string }[]>(
      `SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle,
              current_setting('application_name') AS app, current_setting('jit') AS jit`,
    ),
  );
  expect(settings).toEqual([{ statement: '4s', idle: '4s', app: 'pg-transactions-test', jit: 'off' }]);
  await expect(pg.transaction((tx) => tx.$queryRawUnsafe('SELECT pg_sleep(10)'))).rejects.toThrow(/statement timeout/);
});

it('runs a statement on its own (autocommit): another connection sees its effect at once', async () => {
  const inserted = await pg.query<{ id: string }>(`INSERT INTO public.${table} VALUES ($1, 1, '{}', now()) RETURNING id`, 'q');
  expect(inserted).toEqual([{ id: 'q' }]);
  expect(await ids()).toContain('q');
});

it('a transaction whose connection the server drops fails, without crashing the process, and the pool serves the next one', async () => {
  // As in a Postgres restart: the backend goes away while the transaction holds its connection. pg fails
  // the statement in flight and emits 'error' on the client, which nobody else listens to while it is
  // checked out (an unhandled 'error' event would end the process: jest reports it as a failure).
  // Which error the statement meets depends on timing: "Connection terminated unexpectedly" when it was
  // sent before the socket closed, "Client has encountered a connection error and is not queryable" when
  // pg had already seen the close. Both must read as "database unavailable" (a 503, a retried batch).
  const failure = await pg
    .transaction(async (tx) => {
      const [{ pid }] = await tx.$queryRawUnsafe<{ pid: number }[]>('SELECT pg_backend_pid() AS pid');
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await tx.$queryRawUnsafe('SELECT pg_sleep(5)');
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(failure).toBeInstanceOf(Error);
  expect((failure as Error).message).toMatch(/terminat|connection error/i);
  expect(isDatabaseUnavailable(failure)).toBe(true);
  const [{ one }] = await pg.transaction((tx) => tx.$queryRawUnsafe<{ one: number }[]>('SELECT 1 AS one'));
  expect(one).toBe(1);
});

it('prepares a repeated statement once per connection, and recovers when a migration changes what it reads', async () => {
  const read = (id: string) => pg.transaction((tx) => tx.$queryRawUnsafe<Record<string, unknown>[]>(`SELECT * FROM public.${table} WHERE id = $1`, id));
  // Both connections of the pool prepare it.
  await Promise.all([read('a'), read('b')]);
  const prepared = await pg.transaction((tx) =>
    tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE $1`, `%FROM public.${table} WHERE id = $1%`),
  );
  expect(prepared[0]?.n).toBe(1);

  await admin.query(`ALTER TABLE public.${table} ADD COLUMN note text`);
  // A connection holding the old plan is refused (SQLSTATE 0A000) and dropped; the next attempt prepares it afresh.
  const outcomes: (string | Record<string, unknown>[])[] = [];
  for (let i = 0; i < 4; i++) {
    const outcome = await read('a').catch((e: { code?: string }) => String(e.code));
    outcomes.push(outcome);
    if (Array.isArray(outcome)) break;
  }
  // The connection handed out first held the old plan; at most the two that did fail.
  expect(outcomes[0]).toBe('0A000');
  expect(outcomes.length).toBeLessThanOrEqual(3);
  expect(outcomes.slice(0, -1)).toEqual(outcomes.slice(0, -1).map(() => '0A000'));
  expect(outcomes.at(-1)).toEqual([expect.objectContaining({ id: 'a', note: null })]);
  await expect(read('b')).resolves.toEqual([expect.objectContaining({ id: 'b', note: null })]);
});

it('closes idle connections after the idle timeout but keeps one open, so a lone transaction after a quiet spell needs no new connection', async () => {
  const applicationName = `pg-transactions-idle-${randomUUID().slice(0, 8)}`;
  const idlePool = pgTransactions(databaseUrl, { max: 2, timeoutMs: 4_000, applicationName, idleTimeoutMs: 100 });
  const backendPid = () => idlePool.transaction(async (tx) => (await tx.$queryRawUnsafe<{ pid: number }[]>('SELECT pg_backend_pid() AS pid'))[0]?.pid);
  const openConnections = async () =>
    (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rows[0]?.n;
  try {
    // Two transactions at once: two connections, both idle afterwards.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = idlePool.transaction(async (tx) => {
      await held;
      return (await tx.$queryRawUnsafe<{ pid: number }[]>('SELECT pg_backend_pid() AS pid'))[0]?.pid;
    });
    const second = await backendPid();
    release();
    const pids = [await first, second];
    expect(new Set(pids).size).toBe(2);
    // The pool closes the connection above the kept one once it has idled 100 ms...
    await eventually(async () => ((await openConnections()) === PG_CONNECTIONS_KEPT_OPEN ? true : undefined), 10_000, 'the pool to close its surplus idle connection');
    // ...and the next transaction runs on the connection it kept.
    expect(pids).toContain(await backendPid());
    expect(await openConnections()).toBe(PG_CONNECTIONS_KEPT_OPEN);
  } finally {
    await idlePool.end();
  }
});
