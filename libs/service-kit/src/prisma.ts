import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import type { RunInTransaction, SqlExecutor } from '@slidecharge/messaging';
import { releasingDroppedConnections } from './pg-pool';
import { PG_CONNECTIONS_KEPT_OPEN } from './pg-transactions';

/**
 * The driver adapter every service's Prisma client runs on: plain `pg`, no query-engine binary to
 * download. Each service's models live in its own Postgres schema (see prisma/<service>/schema.prisma).
 * The pool is the adapter's to close ($disconnect ends it), gives back the connections the server drops
 * and keeps PG_CONNECTIONS_KEPT_OPEN open when idle (a lone request after a quiet spell, such as a scan
 * whose API key is looked up, does not wait for a new connection).
 */
export function createPgAdapter(databaseUrl: string, poolSize = 10): PrismaPg {
  return new PrismaPg(releasingDroppedConnections(new Pool({ connectionString: databaseUrl, max: poolSize, min: Math.min(PG_CONNECTIONS_KEPT_OPEN, poolSize) })), { disposeExternalPool: true });
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
