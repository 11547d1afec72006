import { errorsWithin } from '@slidecharge/messaging';

/**
 * Whether an error means "the database cannot be reached now" (a restart, a failover, a refused or dropped
 * connection, a pool that found no connection in time) rather than a bug or a bad request: such a request
 * may simply be sent again later, so it is answered 503 with Retry-After, not 500. Looks at the error and
 * the errors within it (its causes, a Prisma error's driver-adapter error: messaging's errorsWithin): Node's socket error codes, PostgreSQL's SQLSTATE classes 08 (connection exception) and
 * 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now), Prisma's P1001 / P1002 / P1017 / P2024,
 * Prisma's driver-adapter error kinds for the same, and pg's "Connection terminated" messages.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017', 'P2024']);
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const MESSAGES = /Connection terminated|encountered a connection error and is not queryable|Can't reach database server|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command|timeout exceeded when trying to connect/i;

const sqlStateUnavailable = (code: string) => /^08[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03';

function oneUnavailable(error: Record<string, unknown>): boolean {
  const code = typeof error['code'] === 'string' ? error['code'] : '';
  if (SOCKET_CODES.has(code) || PRISMA_CODES.has(code) || sqlStateUnavailable(code)) return true;
  if (typeof error['kind'] === 'string' && ADAPTER_KINDS.has(error['kind'])) return true;
  if (typeof error['originalCode'] === 'string' && sqlStateUnavailable(error['originalCode'])) return true;
  return typeof error['message'] === 'string' && MESSAGES.test(error['message']);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of errorsWithin(error)) if (oneUnavailable(e)) return true;
  return false;
}
