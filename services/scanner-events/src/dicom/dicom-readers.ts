import { DataSet, parseDicom, readPart10Header } from 'dicom-parser';
import { DicomDataset, jsonDataset, part10Dataset } from './dicom-dataset';

/**
 * Turning request bodies into a DicomDataset: a DICOM Part 10 file (or its first part) with
 * dicom-parser, or a DICOM JSON object. Pure: bytes or parsed JSON in, a data set or a reason out;
 * neither function throws.
 */

export type DicomRead =
  | {
      ok: true;
      dataset: DicomDataset;
      transferSyntaxUid?: string;
      /**
       * Set when the bytes ended (or turned unreadable) before the data set did: what came before was
       * read, the rest was not. The mapping then decides whether enough was there.
       */
      cutShort?: string;
      warnings: string[];
    }
  | { ok: false; reason: string };

/** Stop before the pixel data: everything slidecharge needs comes before (7FE0,0010). */
const UNTIL_PIXEL_DATA = 'x7fe00010';

function describe(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'exception' in e) return describe((e as { exception: unknown }).exception);
  return String(e);
}

/** dicom-parser's messages start with "dicomParser.functionName: "; the rest is what a person needs. */
const plain = (message: string): string => message.replace(/^dicomParser[.:]?\w*:\s*/, '');

function isPartialParse(e: unknown): e is { exception: unknown; dataSet: DataSet } {
  return typeof e === 'object' && e !== null && 'dataSet' in e && typeof (e as { dataSet?: unknown }).dataSet === 'object';
}

/**
 * Reads a DICOM Part 10 file, or only its first part (an image manager may send just the header):
 * 128-byte preamble, "DICM", the file meta group, then the data set up to the pixel data. A file cut
 * anywhere after the file meta group is read as far as it goes and marked `cutShort`.
 */
export function readPart10(bytes: Uint8Array): DicomRead {
  if (bytes.length < 132) {
    return { ok: false, reason: `${bytes.length} bytes is too short for DICOM Part 10: a Part 10 file starts with a 128-byte preamble and "DICM"` };
  }
  if (String.fromCharCode(bytes[128] ?? 0, bytes[129] ?? 0, bytes[130] ?? 0, bytes[131] ?? 0) !== 'DICM') {
    return { ok: false, reason: 'not a DICOM Part 10 file: no "DICM" after the 128-byte preamble (send the file as stored, preamble included)' };
  }
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let meta: DataSet;
  try {
    meta = readPart10Header(buffer);
  } catch (e) {
    return { ok: false, reason: `unreadable DICOM file meta information (group 0002): ${plain(describe(e))}` };
  }
  const transferSyntaxUid = safeString(meta, 'x00020010');
  if (!transferSyntaxUid) return { ok: false, reason: 'the file meta information has no Transfer Syntax UID (0002,0010)' };
  try {
    const dataSet = parseDicom(buffer, { untilTag: UNTIL_PIXEL_DATA });
    return { ok: true, dataset: part10Dataset(dataSet), transferSyntaxUid, warnings: [...new Set(dataSet.warnings ?? [])].map(plain) };
  } catch (e) {
    if (!isPartialParse(e)) return { ok: false, reason: `unreadable DICOM data set (transfer syntax ${transferSyntaxUid}): ${plain(describe(e))}` };
    // What was read before the problem, with the file meta elements that parseDicom merges only on success.
    const partial = e.dataSet;
    for (const [tag, element] of Object.entries(meta.elements)) partial.elements[tag] ??= element;
    return {
      ok: true,
      dataset: part10Dataset(partial),
      transferSyntaxUid,
      cutShort: `the data set ends or turns unreadable after ${buffer.length} bytes (${plain(describe(e))}); the attributes before that point were read`,
      warnings: [],
    };
  }
}

function safeString(dataSet: DataSet, tag: string): string | undefined {
  try {
    return dataSet.string(tag)?.replace(/\0/g, '').trim() || undefined;
  } catch {
    return undefined;
  }
}

const TAG_KEY = /^[0-9A-Fa-f]{8}$/;
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads a DICOM JSON body: one data set, as an object or as an array holding exactly one. */
export function readDicomJson(body: unknown): DicomRead {
  let value = body;
  if (Array.isArray(value)) {
    if (value.length !== 1) {
      return { ok: false, reason: value.length === 0 ? 'the DICOM JSON array is empty: send one instance' : `send one instance per request (the array holds ${value.length})` };
    }
    value = value[0];
  }
  if (!isRecord(value)) return { ok: false, reason: 'DICOM JSON must be an object of attributes (or an array with one), such as {"00080016": {"vr": "UI", "Value": ["..."]}}' };
  if (!Object.keys(value).some((k) => TAG_KEY.test(k))) {
    return { ok: false, reason: 'not DICOM JSON: no attribute tags (8 hex digits such as "00080016") at the top level' };
  }
  return { ok: true, dataset: jsonDataset(value), warnings: [] };
}
