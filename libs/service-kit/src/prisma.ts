import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import type { RunInTransaction, SqlExecutor } from '@slidecharge/messaging';
import { releasingDroppedConnections } from './pg-pool';

/**
 * The driver adapter every service's Prisma client runs on: plain `pg`, no query-engine binary to
 * download. Each service's models live in its own Postgres schema (see prisma/<service>/schema.prisma).
 * The pool is the adapter's to close ($disconnect ends it) and gives back the connections the server drops.
 */
export function createPgAdapter(databaseUrl: string, poolSize = 10): PrismaPg {
  return new PrismaPg(releasingDroppedConnections(new Pool({ connectionString: databaseUrl, max: poolSize })), { disposeExternalPool: true });
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
