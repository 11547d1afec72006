/**
 * Text that slidecharge refuses wherever it comes from (HTTP bodies, Kafka messages, HL7 fields):
 * C0 control characters other than TAB, LF and CR (NUL included), DEL, and UTF-16 code units that
 * are half of a surrogate pair. They have no meaning in any field we keep, Postgres cannot store
 * NUL, and 0x0B / 0x1C inside a value break MLLP framing downstream. Also caps nesting depth, so a
 * deeply nested document is refused before any recursive code walks it.
 */
export interface UnsafeTextIssue {
  /** Where the problem is, as dot-separated keys and indexes ("(root)" for the value itself). */
  path: string;
  message: string;
}

export interface UnsafeTextOptions {
  /** Deepest nesting of arrays and objects accepted (default 32). */
  maxDepth?: number;
  /** Allow TAB, LF and CR (default true: free-text fields may hold them). */
  allowLineBreaks?: boolean;
}

const DEFAULT_MAX_DEPTH = 32;
/** Above this configured depth only the iterative walk runs (the fast path recurses up to maxDepth). */
const MAX_RECURSIVE_DEPTH = 512;

/** The first unsafe character of a string as "U+XXXX (what) at index N", or undefined when none. */
export function unsafeCharacterIn(text: string, allowLineBreaks = true): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      if (allowLineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
      return `${hex(code)} (${code === 0 ? 'NUL' : 'control character'}) at index ${i}`;
    }
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return `${hex(code)} (unpaired surrogate) at index ${i}`;
    }
    if (code >= 0xdc00 && code <= 0xdfff) return `${hex(code)} (unpaired surrogate) at index ${i}`;
  }
  return undefined;
}

/**
 * Every character that can make a string unsafe (controls, DEL, any surrogate): one character class,
 * which the regular expression engine scans fast. Most strings hold none; one that does is looked at
 * with unsafeCharacterIn (a TAB may be allowed, a surrogate may be half of a valid pair).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const MAYBE_UNSAFE = /[\u0000-\u001F\u007F\uD800-\uDFFF]/;

function isSafeString(text: string, allowLineBreaks: boolean): boolean {
  return !MAYBE_UNSAFE.test(text) || unsafeCharacterIn(text, allowLineBreaks) === undefined;
}

/**
 * True when nothing in the value is unsafe: every message and request body passes here, so it
 * allocates nothing (no paths, no entry arrays). Recursion is bounded by maxDepth: deeper is unsafe.
 */
function isSafe(value: unknown, depth: number, maxDepth: number, allowLineBreaks: boolean): boolean {
  if (typeof value === 'string') return isSafeString(value, allowLineBreaks);
  if (value === null || typeof value !== 'object') return true;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isSafe(value[i], depth + 1, maxDepth, allowLineBreaks)) return false;
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.prototype.propertyIsEnumerable.call(record, key)) continue;
    if (!isSafeString(key, false) || !isSafe(record[key], depth + 1, maxDepth, allowLineBreaks)) return false;
  }
  return true;
}

/**
 * Walks a decoded JSON value and returns the first unsafe string (key or value) or the first place
 * nested deeper than maxDepth. A value with none (nearly every one) costs one allocation-free pass;
 * otherwise the walk that names the place runs (iteratively: no recursion, whatever its depth).
 */
export function findUnsafeText(value: unknown, options: UnsafeTextOptions = {}): UnsafeTextIssue | undefined {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const allowLineBreaks = options.allowLineBreaks ?? true;
  if (maxDepth <= MAX_RECURSIVE_DEPTH && isSafe(value, 0, maxDepth, allowLineBreaks)) return undefined;
  return locateUnsafeText(value, maxDepth, allowLineBreaks);
}

/** The first unsafe string or too-deep place of a value that has one, with its path. */
function locateUnsafeText(value: unknown, maxDepth: number, allowLineBreaks: boolean): UnsafeTextIssue | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; path: (string | number)[] };
    const where = () => (item.path.length ? item.path.join('.') : '(root)');
    if (typeof item.value === 'string') {
      const bad = unsafeCharacterIn(item.value, allowLineBreaks);
      if (bad) return { path: where(), message: `contains ${bad}` };
      continue;
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.path.length >= maxDepth) return { path: where(), message: `is nested deeper than ${maxDepth} levels` };
    const entries: [string | number, unknown][] = Array.isArray(item.value)
      ? item.value.map((v, i) => [i, v])
      : Object.entries(item.value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as [string | number, unknown];
      if (typeof key === 'string') {
        const bad = unsafeCharacterIn(key, false);
        if (bad) return { path: [...item.path, JSON.stringify(key)].join('.'), message: `has a key that contains ${bad}` };
      }
      stack.push({ value: child, path: [...item.path, key] });
    }
  }
  return undefined;
}

/** The text with every character unsafeCharacterIn would name replaced by U+FFFD (for records of refused input). */
export function withUnsafeCharactersReplaced(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const pairedHigh = code >= 0xd800 && code <= 0xdbff && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff;
    if (pairedHigh) {
      out += text.slice(i, i + 2);
      i++;
    } else if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) out += '\ufffd';
    else out += text[i];
  }
  return out;
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
