/**
 * Test fixtures for the DICOM path: a small DICOM writer (Part 10 with Explicit or Implicit VR Little
 * Endian, sequences with defined or undefined lengths) and the same attributes as DICOM JSON, so
 * both paths are tested from one description of an instance. Test code only.
 */

export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** One attribute: tag as 8 hex digits, VR, and values (strings, or items for SQ, or bytes for OB). */
export type Attribute =
  | { tag: string; vr: 'SQ'; items: Attribute[][] }
  | { tag: string; vr: 'OB' | 'OW' | 'UN'; bytes: Buffer }
  | { tag: string; vr: string; values: (string | number)[] };

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function tagBytes(tag: string): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  b.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
  return b;
}

function valueBytes(a: Attribute, explicit: boolean, undefinedLengths: boolean): Buffer {
  if ('items' in a) {
    const items = a.items.map((item) => {
      const body = dataSetBytes(item, explicit, undefinedLengths);
      const header = Buffer.alloc(8);
      header.writeUInt16LE(0xfffe, 0);
      header.writeUInt16LE(0xe000, 2);
      header.writeUInt32LE(undefinedLengths ? 0xffffffff : body.length, 4);
      const end = undefinedLengths ? Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]) : Buffer.alloc(0);
      return Buffer.concat([header, body, end]);
    });
    return Buffer.concat(items);
  }
  if ('bytes' in a) return a.bytes.length % 2 === 0 ? a.bytes : Buffer.concat([a.bytes, Buffer.from([0])]);
  const text = a.values.map(String).join('\\');
  const padded = text.length % 2 === 0 ? text : text + (a.vr === 'UI' ? '\0' : ' ');
  return Buffer.from(padded, 'latin1');
}

/** One element in Explicit or Implicit VR Little Endian. */
export function elementBytes(a: Attribute, explicit = true, undefinedLengths = false): Buffer {
  const value = valueBytes(a, explicit, undefinedLengths);
  const sequenceUndefined = a.vr === 'SQ' && undefinedLengths;
  const length = sequenceUndefined ? 0xffffffff : value.length;
  const trailer = sequenceUndefined ? Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]) : Buffer.alloc(0);
  if (!explicit) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(length, 0);
    return Buffer.concat([tagBytes(a.tag), len, value, trailer]);
  }
  if (LONG_LENGTH_VRS.has(a.vr)) {
    const header = Buffer.alloc(8);
    header.write(a.vr, 0, 'latin1');
    header.writeUInt32LE(length, 4);
    return Buffer.concat([tagBytes(a.tag), header, value, trailer]);
  }
  const header = Buffer.alloc(4);
  header.write(a.vr, 0, 'latin1');
  header.writeUInt16LE(length, 2);
  return Buffer.concat([tagBytes(a.tag), header, value]);
}

/** A data set: its elements in ascending tag order, as DICOM requires. */
export function dataSetBytes(attributes: Attribute[], explicit = true, undefinedLengths = false): Buffer {
  const sorted = [...attributes].sort((x, y) => (x.tag.toUpperCase() < y.tag.toUpperCase() ? -1 : 1));
  return Buffer.concat(sorted.map((a) => elementBytes(a, explicit, undefinedLengths)));
}

export interface Part10Options {
  transferSyntax?: string;
  /** Sequences and items with undefined length and delimiters (as many scanners write them). */
  undefinedLengths?: boolean;
  /** Pixel data bytes to append after the data set (7FE0,0010 OB). */
  pixelData?: Buffer;
  /** (0002,0002) and (0002,0003); default: the data set's SOP Class and Instance UIDs. */
  mediaStorageSopClassUid?: string;
  mediaStorageSopInstanceUid?: string;
}

/** A DICOM Part 10 file: 128-byte preamble, "DICM", file meta group (Explicit VR LE), then the data set. */
export function part10File(attributes: Attribute[], options: Part10Options = {}): Buffer {
  const transferSyntax = options.transferSyntax ?? EXPLICIT_VR_LITTLE_ENDIAN;
  const sopClass = attributes.find((a) => a.tag === '00080016');
  const sopInstance = attributes.find((a) => a.tag === '00080018');
  const uidOf = (a: Attribute | undefined) => (a && 'values' in a ? String(a.values[0]) : '1.2.3');
  const metaElements = dataSetBytes([
    { tag: '00020001', vr: 'OB', bytes: Buffer.from([0, 1]) },
    { tag: '00020002', vr: 'UI', values: [options.mediaStorageSopClassUid ?? uidOf(sopClass)] },
    { tag: '00020003', vr: 'UI', values: [options.mediaStorageSopInstanceUid ?? uidOf(sopInstance)] },
    { tag: '00020010', vr: 'UI', values: [transferSyntax] },
    { tag: '00020012', vr: 'UI', values: ['1.2.826.0.1.3680043.8.498.1'] },
    { tag: '00020013', vr: 'SH', values: ['SLIDECHARGE_TEST'] },
  ]);
  // (0002,0000) File Meta Information Group Length, UL: the byte count of the meta elements after it.
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(metaElements.length, 8);
  const meta = Buffer.concat([groupLength, metaElements]);
  const explicit = transferSyntax !== IMPLICIT_VR_LITTLE_ENDIAN;
  const body = dataSetBytes(attributes, explicit, options.undefinedLengths ?? false);
  const pixels = options.pixelData ? elementBytes({ tag: '7FE00010', vr: 'OB', bytes: options.pixelData }, explicit) : Buffer.alloc(0);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, body, pixels]);
}

/** The same attributes as DICOM JSON (PS3.18 F.2). */
export function dicomJson(attributes: Attribute[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of attributes) {
    if ('items' in a) out[a.tag.toUpperCase()] = { vr: 'SQ', Value: a.items.map(dicomJson) };
    else if ('bytes' in a) out[a.tag.toUpperCase()] = { vr: a.vr, InlineBinary: a.bytes.toString('base64') };
    else out[a.tag.toUpperCase()] = { vr: a.vr, Value: a.values.map((v) => (a.vr === 'IS' || a.vr === 'DS' ? Number(v) : v)) };
  }
  return out;
}

export interface WsiInstance {
  sopClassUid?: string;
  sopInstanceUid?: string;
  seriesInstanceUid?: string;
  studyInstanceUid?: string;
  accessionNumber?: string;
  containerIdentifier?: string;
  barcodeValue?: string;
  acquisitionDateTime?: string;
  contentDate?: string;
  contentTime?: string;
  timezoneOffset?: string;
  manufacturer?: string;
  deviceSerialNumber?: string;
  specimens?: { identifier: string; uid?: string }[];
  objectiveLensPower?: number;
  imageType?: string[];
  /** ICC profile bytes (0028,2000) in the optical path: a large element near the end of the header. */
  iccProfile?: Buffer;
}

let uidCounter = 0;
/** A fresh UID under the test root (each test run and call differs). */
export function testUid(): string {
  uidCounter += 1;
  return `1.2.826.0.1.3680043.8.498.${Date.now()}${process.pid % 1000}.${uidCounter}`;
}

/** The attributes of a VL Whole Slide Microscopy image; `undefined` in `over` leaves one out. */
export function wsiAttributes(over: WsiInstance = {}): Attribute[] {
  const i: WsiInstance = {
    sopClassUid: WSI_SOP_CLASS,
    sopInstanceUid: testUid(),
    seriesInstanceUid: testUid(),
    studyInstanceUid: testUid(),
    accessionNumber: 'S26-000123',
    containerIdentifier: 'S26-000123-A1-1',
    barcodeValue: 'S26-000123-A1-1',
    acquisitionDateTime: '20261127101403.120000',
    timezoneOffset: '+0100',
    manufacturer: 'Leica Biosystems',
    deviceSerialNumber: 'GT450-01',
    specimens: [{ identifier: 'S26-000123-A', uid: '1.2.826.0.1.3680043.8.498.77' }],
    objectiveLensPower: 40,
    imageType: ['ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE'],
    ...over,
  };
  const list: Attribute[] = [];
  const add = (tag: string, vr: string, value: string | undefined) => {
    if (value !== undefined) list.push({ tag, vr, values: [value] });
  };
  add('00080005', 'CS', 'ISO_IR 192');
  if (i.imageType) list.push({ tag: '00080008', vr: 'CS', values: i.imageType });
  add('00080016', 'UI', i.sopClassUid);
  add('00080018', 'UI', i.sopInstanceUid);
  add('00080023', 'DA', i.contentDate);
  add('0008002A', 'DT', i.acquisitionDateTime);
  add('00080033', 'TM', i.contentTime);
  add('00080050', 'SH', i.accessionNumber);
  add('00080060', 'CS', 'SM');
  add('00080070', 'LO', i.manufacturer);
  add('00080201', 'SH', i.timezoneOffset);
  add('00100020', 'LO', 'MRN-0042');
  add('00181000', 'LO', i.deviceSerialNumber);
  add('0020000D', 'UI', i.studyInstanceUid);
  add('0020000E', 'UI', i.seriesInstanceUid);
  add('00221061', 'LO', i.barcodeValue);
  add('00400512', 'LO', i.containerIdentifier);
  if (i.specimens) {
    list.push({
      tag: '00400560',
      vr: 'SQ',
      items: i.specimens.map((s) => [
        { tag: '00400551', vr: 'LO', values: [s.identifier] },
        ...(s.uid ? [{ tag: '00400554', vr: 'UI', values: [s.uid] }] : []),
      ]),
    });
  }
  if (i.objectiveLensPower !== undefined || i.iccProfile) {
    const path: Attribute[] = [{ tag: '00480106', vr: 'SH', values: ['1'] }];
    if (i.iccProfile) path.push({ tag: '00282000', vr: 'OB', bytes: i.iccProfile });
    if (i.objectiveLensPower !== undefined) path.push({ tag: '00480112', vr: 'DS', values: [String(i.objectiveLensPower)] });
    list.push({ tag: '00480105', vr: 'SQ', items: [path] });
  }
  return list;
}

/** Byte offset of an element's tag in a Little Endian file (first occurrence), for cutting files in tests. */
export function offsetOfTag(file: Buffer, tag: string): number {
  const at = file.indexOf(tagBytes(tag));
  if (at < 0) throw new Error(`tag ${tag} not in the file`);
  return at;
}
