import { PrismaPg } from '@prisma/adapter-pg';
import type { RunInTransaction, SqlExecutor } from '@slidecharge/messaging';

/**
 * The driver adapter every service's Prisma client runs on: plain `pg`, no query-engine binary to
 * download. Each service's models live in its own Postgres schema (see prisma/<service>/schema.prisma).
 */
export function createPgAdapter(databaseUrl: string, poolSize = 10): PrismaPg {
  return new PrismaPg({ connectionString: databaseUrl, max: poolSize });
}

interface TransactionalClient extends SqlExecutor {
  $transaction<R>(fn: (tx: never) => Promise<R>, options?: { timeout?: number; maxWait?: number }): Promise<R>;
}

/** Adapts a Prisma client's interactive transactions for the outbox relay. */
export function transactionRunner(client: TransactionalClient, timeoutMs = 30_000): RunInTransaction {
  return (fn) => client.$transaction((tx) => fn(tx as unknown as SqlExecutor), { timeout: timeoutMs, maxWait: timeoutMs });
}
