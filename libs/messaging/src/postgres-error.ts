/**
 * What Postgres said about a failed statement, wherever the driver put it: pg's DatabaseError carries the
 * SQLSTATE in `code` and the constraint's name in `constraint`; Prisma's pg driver adapter wraps it in a
 * DriverAdapterError whose `cause` holds `originalCode` and `originalMessage` (the constraint only inside
 * the message), and Prisma reports a raw query that failed so as P2010 with that error under
 * `meta.driverAdapterError` (Prisma's own query engine, without an adapter, put the SQLSTATE in
 * `meta.code`). One reading for every caller that decides by SQLSTATE (a retry after a lost
 * race or a deadlock, a connection gone), instead of each searching Prisma's JSON for the code.
 */
export interface PostgresErrorFacts {
  /** The five-character SQLSTATE, e.g. 23505 unique_violation, 40P01 deadlock_detected. */
  sqlState: string;
  /** The constraint the error names, when it names one. */
  constraint?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
/** Prisma's own error codes (P1000-P6999) have the shape of a SQLSTATE; PL/pgSQL's class P0 does not clash. */
const PRISMA_CODE = /^P[1-9][0-9]{3}$/;
const CONSTRAINT_IN_MESSAGE = /constraint "([^"]+)"/;
/** How many nested errors are looked at, at most (a cause chain can loop). */
const MAX_DEPTH = 8;

/** The SQLSTATE (and constraint) of a Postgres error found in `error`, its Prisma wrapping or its causes; undefined when there is none. */
export function postgresErrorOf(error: unknown): PostgresErrorFacts | undefined {
  for (const fields of errorsWithin(error)) {
    const facts = factsOf(fields);
    if (facts) return facts;
  }
  return undefined;
}

/**
 * `error` and the errors inside it, nearest first: its `cause` chain and, in a Prisma error, the driver
 * adapter's error under `meta.driverAdapterError` and `meta` itself; at most MAX_DEPTH, each once.
 */
export function* errorsWithin(error: unknown): Generator<Record<string, unknown>> {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < MAX_DEPTH) {
    const candidate = queue.shift();
    if (typeof candidate !== 'object' || candidate === null || seen.has(candidate)) continue;
    seen.add(candidate);
    const fields = candidate as Record<string, unknown>;
    yield fields;
    queue.push(fields['cause'], objectField(fields['meta'], 'driverAdapterError'), fields['meta']);
  }
}

function factsOf(fields: Record<string, unknown>): PostgresErrorFacts | undefined {
  const original = fields['originalCode'];
  if (typeof original === 'string' && SQLSTATE.test(original)) {
    const message = typeof fields['originalMessage'] === 'string' ? fields['originalMessage'] : '';
    return withConstraint(original, CONSTRAINT_IN_MESSAGE.exec(message)?.[1]);
  }
  const code = fields['code'];
  if (typeof code === 'string' && SQLSTATE.test(code) && !PRISMA_CODE.test(code)) {
    return withConstraint(code, typeof fields['constraint'] === 'string' ? fields['constraint'] : undefined);
  }
  return undefined;
}

function withConstraint(sqlState: string, constraint: string | undefined): PostgresErrorFacts {
  return constraint === undefined ? { sqlState } : { sqlState, constraint };
}

function objectField(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
