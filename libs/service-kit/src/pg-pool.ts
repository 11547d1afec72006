import { Pool, PoolClient } from 'pg';

/**
 * Gives a checked-out connection back to the pool, as broken, the moment it reports a connection error
 * (a Postgres restart or failover, a terminated backend), and makes its holder's later release a no-op.
 * Every pool of the services goes through it (Prisma's adapter and the raw-SQL transactions):
 * - a checked-out client has no listener of the pool's, and pg emits 'error' on it besides failing the
 *   query in flight: unheard, that ends the process (a Postgres restart crashed four services);
 * - @prisma/adapter-pg 6.19 never releases a transaction's connection the server dropped: after `max`
 *   such transactions every query waits for a connection for ever (measured: 3 of 3, then a hang).
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
