import { isConsumedEventConflict } from './exactly-once';

describe('isConsumedEventConflict', () => {
  it('knows a unique violation on consumed_event from pg', () => {
    expect(isConsumedEventConflict({ code: '23505', constraint: 'consumed_event_pkey' })).toBe(true);
  });

  it("knows it from Prisma's driver adapter (P2010, as Prisma 6.19 with @prisma/adapter-pg reports it)", () => {
    const error = {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      meta: {
        driverAdapterError: {
          name: 'DriverAdapterError',
          cause: {
            originalCode: '23505',
            originalMessage: 'duplicate key value violates unique constraint "consumed_event_pkey"',
            kind: 'UniqueConstraintViolation',
            constraint: { fields: ['consumer', 'event_id'] },
          },
        },
      },
    };
    expect(isConsumedEventConflict(error)).toBe(true);
  });

  it('leaves other errors alone: another unique key, a deadlock, anything else', () => {
    expect(isConsumedEventConflict({ code: '23505', constraint: 'charge_pkey' })).toBe(false);
    const otherKey = { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '23505', originalMessage: 'duplicate key value violates unique constraint "charge_pkey"' } } } };
    expect(isConsumedEventConflict(otherKey)).toBe(false);
    expect(isConsumedEventConflict({ code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '40P01', originalMessage: 'deadlock detected' } } } })).toBe(false);
    expect(isConsumedEventConflict(new Error('consumed_event_pkey'))).toBe(false);
    expect(isConsumedEventConflict(undefined)).toBe(false);
  });
});
