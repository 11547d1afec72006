import iconv from 'iconv-lite';

/**
 * MSH-18 (character set, HL7 table 0211) to byte decoding with iconv-lite. Only sets whose bytes
 * for ASCII are ASCII are read, so MSH-18 itself can be found in the raw bytes before decoding.
 * An empty MSH-18 means ASCII by the standard; it is read as UTF-8 (a superset), which is what LIS
 * systems that leave it empty mostly send.
 */

/** HL7 table 0211 names (v2.3 to v2.5.1) and the aliases LIS systems send -> iconv-lite names. */
const CHARSETS: Record<string, string> = {
  ASCII: 'utf8',
  'ISO IR6': 'utf8',
  '8859/1': 'iso-8859-1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'iso-8859-9',
  '8859/15': 'iso-8859-15',
  'ISO IR100': 'iso-8859-1',
  // v2.3 "UNICODE" (ISO/IEC 10646) names no encoding form; as sent over MLLP it is UTF-8.
  UNICODE: 'utf8',
  'UNICODE UTF-8': 'utf8',
  // Not table 0211, but what many LIS systems send.
  'UTF-8': 'utf8',
  UTF8: 'utf8',
  'ISO-8859-1': 'iso-8859-1',
  'ISO8859-1': 'iso-8859-1',
  LATIN1: 'iso-8859-1',
  'WINDOWS-1252': 'windows-1252',
  CP1252: 'windows-1252',
};

/** The MSH-18 values accepted (upper case). */
export const SUPPORTED_CHARACTER_SETS: readonly string[] = Object.keys(CHARSETS);

/** iconv-lite's name for an MSH-18 value; 'utf8' for an empty one; undefined when not supported. */
export function charsetEncoding(msh18: string): string | undefined {
  const name = msh18.trim().toUpperCase();
  if (!name) return 'utf8';
  return CHARSETS[name];
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * MSH-18 (its first repetition and component) read from the bytes of a message, before decoding:
 * the MSH segment is ASCII in every supported set. '' when absent or not an MSH.
 */
export function readCharsetFromBytes(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x0b || bytes[start] === 0xef || bytes[start] === 0xbb || bytes[start] === 0xbf)) start++;
  let end = start;
  while (end < bytes.length && bytes[end] !== CR && bytes[end] !== LF) end++;
  const msh = Buffer.from(bytes.subarray(start, end)).toString('latin1');
  return charsetOfMshText(msh);
}

/** MSH-18 of a message's text (first repetition, first component); '' when there is none. */
export function charsetOfMshText(text: string): string {
  if (!text.startsWith('MSH') || text.length < 8) return '';
  const fieldSep = text.charAt(3);
  const componentSep = text.charAt(4);
  const repetitionSep = text.charAt(5);
  const fields = text.split(/\r|\n/, 1)[0]?.split(fieldSep) ?? [];
  // fields[0] is "MSH", fields[1] MSH-2: MSH-n is fields[n - 1].
  const msh18 = fields[17] ?? '';
  return (msh18.split(repetitionSep)[0] ?? '').split(componentSep)[0]?.trim() ?? '';
}

/** A message's bytes as text, decoded as its MSH-18 says (UTF-8 when MSH-18 is empty or not supported). */
export function decodeMessageBytes(bytes: Uint8Array): string {
  const encoding = charsetEncoding(readCharsetFromBytes(bytes)) ?? 'utf8';
  return iconv.decode(Buffer.from(bytes), encoding);
}

/** A message's text as bytes in the character set its own MSH-18 names (UTF-8 otherwise). */
export function encodeMessageText(text: string): Buffer {
  const encoding = charsetEncoding(charsetOfMshText(text)) ?? 'utf8';
  return iconv.encode(text, encoding);
}
