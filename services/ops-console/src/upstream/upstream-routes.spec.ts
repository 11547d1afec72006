import { isDeadLetterService, upstreamUrl } from './upstream-routes';

describe('upstream URLs', () => {
  it('joins the base and the encoded segments and keeps the query', () => {
    expect(upstreamUrl('http://127.0.0.1:3004/', ['charges', 'abc', 'release'], { limit: '5', state: ['open', 'replayed'] })).toBe(
      'http://127.0.0.1:3004/charges/abc/release?limit=5&state=open&state=replayed',
    );
  });

  it('never lets a segment add a path or a query', () => {
    expect(upstreamUrl('http://billing', ['charges', '../admin?x=1#y'])).toBe('http://billing/charges/..%2Fadmin%3Fx%3D1%23y');
  });

  it('drops query values that are not text', () => {
    expect(upstreamUrl('http://qc', ['qc', 'rescans'], { limit: undefined, cursor: 'c1' })).toBe('http://qc/qc/rescans?cursor=c1');
  });

  it('knows the services that keep dead letters', () => {
    expect(isDeadLetterService('billing')).toBe(true);
    expect(isDeadLetterService('accession')).toBe(false);
    expect(isDeadLetterService('../billing')).toBe(false);
  });
});
