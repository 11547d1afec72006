import { isStalePreparedStatement, preparedStatement } from './pg-transactions';

describe('preparedStatement', () => {
  it('names a statement with parameters by its text, the same name every time', () => {
    const first = preparedStatement('SELECT $1::int AS n', [1]);
    const again = preparedStatement('SELECT $1::int AS n', [2]);
    expect(first.name).toMatch(/^sc_[0-9a-f]{24}$/);
    expect(again).toEqual({ name: first.name, text: 'SELECT $1::int AS n', values: [2] });
    expect(preparedStatement('SELECT $1::text AS t', ['x']).name).not.toBe(first.name);
  });

  it('leaves a statement without parameters to the simple protocol', () => {
    expect(preparedStatement('COMMIT', [])).toEqual({ text: 'COMMIT' });
  });

  it('names at most 256 texts, then sends the others unnamed', () => {
    const names = Array.from({ length: 300 }, (_, i) => preparedStatement(`SELECT $1::int + ${i}`, [i]).name);
    expect(names.filter((n) => n !== undefined).length).toBeLessThanOrEqual(256);
    expect(names.at(-1)).toBeUndefined();
  });
});

describe('isStalePreparedStatement', () => {
  it('recognises Postgres refusing a cached plan whose result type changed', () => {
    expect(isStalePreparedStatement(Object.assign(new Error('cached plan must not change result type'), { code: '0A000' }))).toBe(true);
    expect(isStalePreparedStatement(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(false);
    expect(isStalePreparedStatement(undefined)).toBe(false);
  });
});
