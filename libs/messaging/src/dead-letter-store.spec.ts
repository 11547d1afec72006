import { sha256Hex, storableText } from './dead-letter-store';

describe('storableText', () => {
  it('replaces what Postgres text and jsonb cannot hold (NUL, unpaired surrogates) and keeps the rest', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('a\ud800b\udc00')).toBe('a\uFFFDb\uFFFD');
    expect(storableText('tab\tline\n\u{1F600}é')).toBe('tab\tline\n\u{1F600}é');
  });
});

describe('sha256Hex', () => {
  it('hashes the bytes (an absent value as empty)', () => {
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(null)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
