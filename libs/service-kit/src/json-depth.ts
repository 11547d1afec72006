const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

export interface TooDeep {
  maxDepth: number;
  /** Byte offset of the bracket that went one level too deep. */
  offset: number;
}

/**
 * Scans JSON text as bytes (UTF-8: no byte of a multi-byte character is below 0x80, so brackets,
 * quotes and backslashes are always themselves) and tells where arrays and objects nest deeper than
 * maxDepth, counting brackets outside strings. One pass, no allocation, no recursion: it runs before
 * JSON.parse, so nothing recursive ever sees a body nested thousands deep. Malformed text is left to
 * JSON.parse to refuse.
 */
export function jsonNestingTooDeep(bytes: Uint8Array, maxDepth: number): TooDeep | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > maxDepth) return { maxDepth, offset: i };
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return undefined;
}
