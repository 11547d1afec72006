/**
 * What of an unexpected error may be logged: its type, a database error's code and the names of the
 * schema objects involved, and the stack frames (code locations). Never the message of a database or
 * Prisma error (Prisma prints the query's arguments, Postgres a failing row or key value: patient
 * data), nor of a SyntaxError (JSON.parse quotes its input), nor a `cause` or `detail`.
 */
export function describeErrorForLog(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: err === null ? 'null' : typeof err };
  const described: Record<string, unknown> = { type: err.name || err.constructor.name, stack: stackFrames(err.stack) };
  const fields = err as Error & Record<string, unknown>;
  if (err.name.startsWith('PrismaClient')) {
    const meta = objectOf(fields['meta']);
    return pick({ ...described, code: fields['code'], modelName: meta['modelName'], target: meta['target'] });
  }
  if (err.name === 'DriverAdapterError') {
    // Prisma's pg adapter: the cause holds the SQLSTATE and a kind, beside the original message (not kept).
    const cause = objectOf(fields['cause']);
    return pick({ ...described, code: cause['originalCode'], kind: cause['kind'] });
  }
  if (isPostgresError(fields)) {
    return pick({ ...described, code: fields['code'], severity: fields['severity'], schema: fields['schema'], table: fields['table'], column: fields['column'], constraint: fields['constraint'] });
  }
  if (err instanceof SyntaxError) return described;
  return { ...described, message: (err.message.split('\n').find((line) => line.trim() !== '') ?? '').slice(0, 200) };
}

/** A Postgres server error (pg's DatabaseError): a five-character SQLSTATE and a severity. */
function isPostgresError(fields: Record<string, unknown>): boolean {
  return typeof fields['code'] === 'string' && /^[0-9A-Z]{5}$/.test(fields['code']) && typeof fields['severity'] === 'string';
}

function stackFrames(stack: string | undefined): string[] {
  return (stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 15)
    .map((line) => line.trim());
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function pick(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
