import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, PoolClient } from 'pg';
import type { RunInTransaction, SqlExecutor } from '@slidecharge/messaging';

/**
 * The driver adapter every service's Prisma client runs on: plain `pg`, no query-engine binary to
 * download. Each service's models live in its own Postgres schema (see prisma/<service>/schema.prisma).
 * The pool is the adapter's to close ($disconnect ends it) and gives back the connections the server drops.
 */
export function createPgAdapter(databaseUrl: string, poolSize = 10): PrismaPg {
  return new PrismaPg(releasingDroppedConnections(new Pool({ connectionString: databaseUrl, max: poolSize })), { disposeExternalPool: true });
}

/**
 * @prisma/adapter-pg 6.19 never gives a transaction's connection back to the pool when the server drops
 * it mid-transaction (a Postgres restart or failover, a terminated backend): after `max` such
 * transactions every query waits for a connection for ever (measured: 3 of 3, then a hang). So a
 * checked-out connection that reports a connection error is released at once, as broken (the pool
 * closes it and opens a new one when needed), and the adapter's own later release does nothing.
 */
export function releasingDroppedConnections(pool: Pool): Pool {
  const listeners = new WeakMap<PoolClient, () => void>();
  pool.on('acquire', (client) => {
    const onError = () => {
      const release = client.release;
      client.release = () => undefined;
      try {
        release.call(client, new Error('the server dropped the connection'));
      } catch {
        // released already
      }
    };
    listeners.set(client, onError);
    client.on('error', onError);
  });
  pool.on('release', (_err, client) => {
    const onError = listeners.get(client);
    if (onError) client.removeListener('error', onError);
    listeners.delete(client);
  });
  return pool;
}
type InteractiveTransaction = <R>(fn: (tx: SqlExecutor) => Promise<R>, options?: { timeout?: number; maxWait?: number }) => Promise<R>;

/**
 * Adapts a Prisma client's interactive transactions for the outbox relay. Typed loosely on purpose:
 * a generated client's `$transaction` is overloaded (array form first), which TypeScript will not
 * match against the interactive form alone.
 */
export function transactionRunner(client: { $transaction: (...args: never[]) => unknown }, timeoutMs = 30_000): RunInTransaction {
  const interactive = client.$transaction.bind(client) as unknown as InteractiveTransaction;
  return (fn) => interactive(fn, { timeout: timeoutMs, maxWait: timeoutMs });
}
