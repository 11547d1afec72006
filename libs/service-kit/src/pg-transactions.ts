import { createHash } from 'node:crypto';
import { Pool, PoolClient, QueryConfig } from 'pg';
import type { SqlExecutor } from '@slidecharge/messaging';
import { releasingDroppedConnections } from './pg-pool';

/**
 * Most statement texts given a name (each connection prepares at most this many): the hot paths'
 * statements are fixed texts, so the first few hundred texts are the ones that repeat.
 */
const MAX_NAMED_STATEMENTS = 256;
const statementNames = new Map<string, string>();

/**
 * A statement with parameters as a named prepared statement: each connection parses it once, then
 * only binds and executes it, and Postgres may keep its plan (a generic plan after five executions,
 * when that is not costlier). A hot path repeats a few texts thousands of times a minute; unnamed,
 * each execution is parsed and planned again. Without parameters (BEGIN, COMMIT, LISTEN) the simple
 * protocol stays, one round trip. Past MAX_NAMED_STATEMENTS texts, statements go unnamed.
 */
export function preparedStatement(text: string, values: readonly unknown[]): QueryConfig {
  if (values.length === 0) return { text };
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= MAX_NAMED_STATEMENTS) return { text, values: [...values] };
    name = `sc_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values: [...values] };
}

/**
 * Postgres refuses a prepared statement whose result columns changed under it (a migration altered a
 * table it reads: "cached plan must not change result type", SQLSTATE 0A000). The connection that
 * prepared it is dropped, so that the next attempt prepares it again on a fresh one.
 */
export function isStalePreparedStatement(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '0A000';
}

/**
 * Raw SQL on one connection of a pg pool: the SqlExecutor a Prisma transaction client also is, for a
 * hot path whose every statement is hand-written SQL (a consumer applying batches). It costs one
 * round trip per statement and no query planning in the client; Prisma's raw queries cost a
 * millisecond or two of CPU each on top. Rows come as `pg` parses them: int8 and numeric as strings,
 * json as objects, arrays as arrays, timestamptz as Date, date as a local Date (so select dates with
 * to_char).
 */
class PgClientExecutor implements SqlExecutor {
  constructor(private readonly client: PoolClient) {}

  async $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> {
    return (await this.client.query(preparedStatement(query, values))).rows as T;
  }

  async $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number> {
    return (await this.client.query(preparedStatement(query, values))).rowCount ?? 0;
  }
}

export interface PgTransactions {
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R>;
  /** One statement on its own (autocommit), on any connection of the pool: no BEGIN and COMMIT round trips. */
  query<T>(query: string, ...values: unknown[]): Promise<T[]>;
  /** Closes the pool (at shutdown). */
  end(): Promise<void>;
}

/**
 * Connections a pool keeps open however long it idles (pg closes the others after `idleTimeoutMs`).
 * A lone event after a quiet spell (a lab's scans trickle in) would otherwise open a new connection at
 * every hop: a new server process, its catalog caches filled again, each prepared statement parsed and
 * planned again. Measured on the stack (docs/benchmarks.md, "a lone scan"): one scan every 20 s took
 * 204 ms from scan to charge at the median with none kept, 119-129 ms with one.
 */
export const PG_CONNECTIONS_KEPT_OPEN = 1;

/** pg's own default: an idle connection above PG_CONNECTIONS_KEPT_OPEN is closed after 10 s. */
const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

export interface PgTransactionsOptions {
  max: number;
  timeoutMs: number;
  applicationName: string;
  /** How long a connection above PG_CONNECTIONS_KEPT_OPEN stays open unused (default 10 s). */
  idleTimeoutMs?: number;
}

/**
 * A pool of `max` connections for transactions of raw SQL, each bounded by `timeoutMs` (statement
 * and idle-in-transaction timeouts, so that a stuck transaction cannot hold its locks for ever); it
 * keeps PG_CONNECTIONS_KEPT_OPEN of them open when idle.
 */
export function pgTransactions(connectionString: string, options: PgTransactionsOptions): PgTransactions {
  const pool = new Pool({
    connectionString,
    max: options.max,
    min: Math.min(PG_CONNECTIONS_KEPT_OPEN, options.max),
    idleTimeoutMillis: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    application_name: options.applicationName,
    statement_timeout: options.timeoutMs,
    idle_in_transaction_session_timeout: options.timeoutMs,
    // Short statements on few rows: compiling them with LLVM (JIT, on by default above a cost estimate
    // that a batch's statements can reach) costs tens of milliseconds and saves nothing.
    options: '-c jit=off',
  });
  // An idle connection that breaks (the server restarted) is dropped by the pool; it must not crash the
  // process. A checked-out one is given back as broken (releasingDroppedConnections).
  pool.on('error', () => undefined);
  releasingDroppedConnections(pool);
  /**
   * Runs `fn` on a connection of the pool and gives it back: broken (closed, not handed out again) when
   * `fn` calls `drop` or when a prepared statement went stale on it (isStalePreparedStatement).
   */
  async function onConnection<R>(fn: (client: PoolClient, drop: () => void) => Promise<R>): Promise<R> {
    const client = await pool.connect();
    let broken = false;
    try {
      return await fn(client, () => {
        broken = true;
      });
    } catch (err) {
      if (isStalePreparedStatement(err)) broken = true;
      throw err;
    } finally {
      client.release(broken);
    }
  }
  return {
    transaction: <R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> =>
      onConnection(async (client, drop) => {
        try {
          await client.query('BEGIN');
          const result = await fn(new PgClientExecutor(client));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          // A failed ROLLBACK: the connection is gone, do not hand it out again.
          await client.query('ROLLBACK').catch(drop);
          throw err;
        }
      }),
    query: <T>(query: string, ...values: unknown[]): Promise<T[]> =>
      onConnection(async (client) => (await client.query(preparedStatement(query, values))).rows as T[]),
    end: () => pool.end(),
  };
}
