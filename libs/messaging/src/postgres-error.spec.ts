import { postgresErrorOf } from './postgres-error';

/** As Prisma 6.19 with @prisma/adapter-pg reports a raw query that Postgres refused. */
function prismaRawQueryError(originalCode: string, originalMessage: string) {
  return {
    name: 'PrismaClientKnownRequestError',
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode, originalMessage, kind: 'postgres' } } },
  };
}

describe('postgresErrorOf', () => {
  it("reads pg's DatabaseError: the SQLSTATE and the constraint", () => {
    expect(postgresErrorOf({ code: '23505', severity: 'ERROR', constraint: 'charge_pkey' })).toEqual({ sqlState: '23505', constraint: 'charge_pkey' });
    expect(postgresErrorOf({ code: '40P01', severity: 'ERROR' })).toEqual({ sqlState: '40P01' });
  });

  it("reads Prisma's P2010 around the driver adapter's error, the constraint from the original message", () => {
    expect(postgresErrorOf(prismaRawQueryError('23505', 'duplicate key value violates unique constraint "consumed_event_pkey"'))).toEqual({
      sqlState: '23505',
      constraint: 'consumed_event_pkey',
    });
    expect(postgresErrorOf(prismaRawQueryError('40P01', 'deadlock detected'))).toEqual({ sqlState: '40P01' });
  });

  it("reads P2010 as Prisma's query engine reports it without a driver adapter (the SQLSTATE in meta.code)", () => {
    expect(postgresErrorOf({ name: 'PrismaClientKnownRequestError', code: 'P2010', meta: { code: '40P01', message: 'deadlock detected' } })).toEqual({ sqlState: '40P01' });
  });

  it("finds the driver adapter's error down a cause chain", () => {
    const nested = new Error('outer', { cause: new Error('middle', { cause: { kind: 'postgres', originalCode: '57P01' } }) });
    expect(postgresErrorOf(nested)).toEqual({ sqlState: '57P01' });
  });

  it("does not take Prisma's own codes or Node's socket codes for a SQLSTATE", () => {
    expect(postgresErrorOf({ code: 'P2002', meta: { target: ['id'] } })).toBeUndefined();
    expect(postgresErrorOf({ code: 'P2010', meta: {} })).toBeUndefined();
    expect(postgresErrorOf(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });

  it("keeps PL/pgSQL's P0 class, which looks like a Prisma code and is not one", () => {
    expect(postgresErrorOf({ code: 'P0001', severity: 'ERROR' })).toEqual({ sqlState: 'P0001' });
  });

  it('answers undefined for anything else, and stops on a cause chain that loops', () => {
    expect(postgresErrorOf(new Error('plain'))).toBeUndefined();
    expect(postgresErrorOf(undefined)).toBeUndefined();
    expect(postgresErrorOf('23505')).toBeUndefined();
    const looping = new Error('a') as Error & { cause?: unknown };
    looping.cause = looping;
    expect(postgresErrorOf(looping)).toBeUndefined();
  });
});
