import { RescansQuery } from './rescans.dto';
import { encodeCursor } from './verdict';

describe('RescansQuery', () => {
  it('defaults to 50 a page and reads a cursor it wrote', () => {
    expect(RescansQuery.parse({})).toEqual({ limit: 50 });
    const cursor = encodeCursor({ evaluatedAt: new Date('2026-03-02T10:00:00.000Z'), scanId: 'scan-1' });
    expect(RescansQuery.parse({ limit: '2', cursor })).toEqual({ limit: 2, cursor: { evaluatedAt: new Date('2026-03-02T10:00:00.000Z'), scanId: 'scan-1' } });
  });

  it.each([[{ limit: '0' }, 'limit'], [{ limit: '201' }, 'limit'], [{ cursor: 'nope' }, 'cursor']])('refuses %j naming %s', (query, path) => {
    expect(RescansQuery.safeParse(query).error?.issues.map((i) => i.path.join('.'))).toEqual([path]);
  });
});
