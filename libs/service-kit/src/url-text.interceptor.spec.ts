import { unsafeUrlTextRefusal } from './url-text.interceptor';

describe('unsafeUrlTextRefusal', () => {
  it('refuses %00 in a path segment (as Express decodes it) with 400 naming the parameter', () => {
    expect(unsafeUrlTextRefusal({ params: { accessionNumber: 'S26\u0000' }, query: {} }, 32)?.getResponse()).toEqual({
      error: 'invalid_text',
      message: 'path.accessionNumber contains U+0000 (NUL) at index 3',
      issues: [{ path: 'path.accessionNumber', message: 'contains U+0000 (NUL) at index 3' }],
    });
  });

  it('refuses control characters (line breaks included) in query values and names, repeated values too', () => {
    expect(unsafeUrlTextRefusal({ params: {}, query: { patient: 'MRN\r\nX' } }, 32)?.refusal.message).toBe('query.patient contains U+000D (control character) at index 3');
    expect(unsafeUrlTextRefusal({ params: {}, query: { date: ['ge2026-01-01', 'le\u00012026'] } }, 32)?.refusal.issues).toEqual([
      { path: 'query.date.1', message: 'contains U+0001 (control character) at index 2' },
    ]);
    expect(unsafeUrlTextRefusal({ query: { 'a\u0000': '1' } }, 32)?.refusal.message).toContain('has a key that contains U+0000');
  });

  it('lets ordinary identifiers, accents and dates through', () => {
    expect(unsafeUrlTextRefusal({ params: { barcode: 'S26-000123-A1-1' }, query: { patient: 'Müller-Lüdenscheidt', date: ['ge2026-01-01'] } }, 32)).toBeUndefined();
    expect(unsafeUrlTextRefusal({}, 32)).toBeUndefined();
  });
});
