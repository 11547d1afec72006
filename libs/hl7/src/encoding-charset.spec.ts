import iconv from 'iconv-lite';
import { charsetEncoding, decodeMessageBytes, encodeMessageText, readCharsetFromBytes } from './encoding-charset';
import { frame, MllpDecoder } from './mllp';

const msg = (msh18: string, pid5: string) => `MSH|^~\\&|LIS|LAB|SC|PATH|20261120||ORM^O01|C1|P|2.3||||||${msh18}\rPID|1||E1||${pid5}`;

describe('MSH-18 character sets', () => {
  it('table 0211 names and common aliases map to iconv-lite encodings; unknown ones do not', () => {
    expect(charsetEncoding('8859/1')).toBe('iso-8859-1');
    expect(charsetEncoding('8859/9')).toBe('iso-8859-9');
    expect(charsetEncoding('unicode utf-8')).toBe('utf8');
    expect(charsetEncoding('')).toBe('utf8');
    expect(charsetEncoding('EBCDIC')).toBeUndefined();
  });

  it('an ISO-8859-1 message keeps Müller; a UTF-8 one too; MSH-18 is read from the raw bytes', () => {
    const latin = iconv.encode(msg('8859/1', 'MÜLLER^Jürgen'), 'latin1');
    expect(readCharsetFromBytes(latin)).toBe('8859/1');
    expect(decodeMessageBytes(latin)).toContain('MÜLLER^Jürgen');
    expect(decodeMessageBytes(Buffer.from(msg('UNICODE UTF-8', 'MÜLLER'), 'utf8'))).toContain('MÜLLER');
  });

  it('the MLLP decoder decodes each frame by its MSH-18; responses are encoded in their own MSH-18', () => {
    const decoder = new MllpDecoder();
    const [text] = decoder.push(frame(iconv.encode(msg('8859/1', 'Müller'), 'latin1')));
    expect(text).toContain('|Müller');
    const bytes = encodeMessageText(msg('8859/1', 'Müller'));
    expect(bytes.includes(Buffer.from([0xfc]))).toBe(true);
  });
});
