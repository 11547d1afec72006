import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (code: string) => Object.assign(new Error('failed'), { code });

describe('isDatabaseUnavailable (503, send again later) versus everything else (500 or 4xx)', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['SQLSTATE 57P01 admin shutdown (a restart)', withCode('57P01')],
    ['SQLSTATE 57P03 cannot connect now (starting up)', withCode('57P03')],
    ['SQLSTATE class 08 (connection failure)', withCode('08006')],
    ["Prisma P1001 can't reach the database", withCode('P1001')],
    ['Prisma P2024 no connection from the pool in time', withCode('P2024')],
    ['pg: the server went away', new Error('Connection terminated unexpectedly')],
    ['a driver-adapter error of kind DatabaseNotReachable, as the cause', new Error('wrapped', { cause: { kind: 'DatabaseNotReachable' } })],
    ['a driver-adapter postgres error with SQLSTATE 57P01 as originalCode, deep in the causes', new Error('a', { cause: new Error('b', { cause: { kind: 'postgres', originalCode: '57P01' } }) })],
  ])('%s: unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', withCode('23505')],
    ['a Prisma not-found (P2025)', withCode('P2025')],
    ['a statement timeout (57014: the query, not the server)', withCode('57014')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['not an error at all', 'text'],
    ['undefined', undefined],
  ])('%s: not unavailable', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('stops on a cycle of causes', () => {
    const a: { cause?: unknown } = {};
    const b = { cause: a };
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });
});
