/**
 * The raw-SQL calls the outbox, the inbox and the dead-letter store need. A Prisma client or
 * transaction client satisfies it, so a service's state change, its outbox records and its
 * consumed-event record share one transaction.
 */
export interface SqlExecutor {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export type RunInTransaction = <R>(fn: (tx: SqlExecutor) => Promise<R>) => Promise<R>;

/** A service's Postgres schema name, quoted for SQL; anything but a plain lower-case identifier is refused. */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  return `"${schema}"`;
}
