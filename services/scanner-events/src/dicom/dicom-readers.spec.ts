import fc from 'fast-check';
import {
  dicomJson,
  IMPLICIT_VR_LITTLE_ENDIAN,
  JPEG_BASELINE,
  offsetOfTag,
  part10File,
  wsiAttributes,
} from '../../test/dicom-fixtures';
import { first } from './dicom-dataset';
import { DicomRead, readDicomJson, readPart10 } from './dicom-readers';
import { mapWsiInstance } from './wsi-mapping';

function ok(read: DicomRead) {
  if (!read.ok) throw new Error(`expected a data set, got: ${read.reason}`);
  return read;
}
function notOk(read: DicomRead) {
  if (read.ok) throw new Error('expected a refusal');
  return read.reason;
}
const map = (read: DicomRead) => mapWsiInstance(ok(read).dataset, { source: 'part10', defaultUtcOffset: '+0000', receivedAt: new Date(), purpose: 'diagnostic' });

describe('readPart10', () => {
  it('reads Explicit VR Little Endian with a sequence, and stops at the pixel data', () => {
    const read = ok(readPart10(part10File(wsiAttributes({ containerIdentifier: 'S26-1-A1-1' }), { pixelData: Buffer.alloc(4096, 0xab) })));
    expect(read.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
    expect(read.cutShort).toBeUndefined();
    expect(first(read.dataset, 'ContainerIdentifier')).toBe('S26-1-A1-1');
    expect(read.dataset.items('SpecimenDescriptionSequence').map((i) => first(i, 'SpecimenIdentifier'))).toEqual(['S26-000123-A']);
    expect(read.dataset.strings('ImageType')).toEqual(['ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE']);
  });

  it('reads sequences of undefined length (item and sequence delimiters), Implicit VR, and a JPEG transfer syntax', () => {
    for (const options of [{ undefinedLengths: true }, { transferSyntax: IMPLICIT_VR_LITTLE_ENDIAN }, { transferSyntax: JPEG_BASELINE, undefinedLengths: true }]) {
      const read = ok(readPart10(part10File(wsiAttributes({ specimens: [{ identifier: 'A' }, { identifier: 'B' }] }), options)));
      expect(read.dataset.items('SpecimenDescriptionSequence').map((i) => first(i, 'SpecimenIdentifier'))).toEqual(['A', 'B']);
      expect(map(read).ok).toBe(true);
    }
  });

  it('takes only the first part of a file: cut inside the pixel data, nothing is missed', () => {
    const file = part10File(wsiAttributes(), { pixelData: Buffer.alloc(100_000, 1) });
    const read = ok(readPart10(file.subarray(0, offsetOfTag(file, '7FE00010') + 40)));
    expect(read.cutShort).toBeUndefined();
    expect(map(read).ok).toBe(true);
  });

  it('reads what comes before a cut inside a large element, and says where it stopped', () => {
    const file = part10File(wsiAttributes({ iccProfile: Buffer.alloc(50_000, 7), objectiveLensPower: 20 }));
    const cut = offsetOfTag(file, '00282000') + 1000;
    const read = ok(readPart10(file.subarray(0, cut)));
    expect(read.cutShort).toContain(`after ${cut} bytes`);
    const m = map(read);
    if (!m.ok) throw new Error(m.message);
    // Everything before the optical path was read; the magnification inside it was not.
    expect(m.event.slideBarcode).toBe('S26-000123-A1-1');
    expect(m.facts.specimens).toHaveLength(1);
    expect(m.event.image).not.toHaveProperty('magnification');
  });

  it('reads a cut before the Container Identifier as missing attributes (the barcode then comes from Barcode Value)', () => {
    const file = part10File(wsiAttributes({ containerIdentifier: 'S26-7-A1-1', barcodeValue: 'S26-7-A1-1' }));
    const read = ok(readPart10(file.subarray(0, offsetOfTag(file, '00400512') + 3)));
    expect(read.cutShort).toBeDefined();
    expect(first(read.dataset, 'ContainerIdentifier')).toBeUndefined();
    const m = map(read);
    expect(m.ok && m.facts.slideBarcodeFrom).toBe('BarcodeValue');
  });

  it('refuses what is not Part 10, with the reason', () => {
    expect(notOk(readPart10(Buffer.alloc(0)))).toBe('0 bytes is too short for DICOM Part 10: a Part 10 file starts with a 128-byte preamble and "DICM"');
    expect(notOk(readPart10(Buffer.from('{"00080016": {"vr": "UI"}}'.padEnd(300, ' '))))).toContain('no "DICM" after the 128-byte preamble');
    const file = part10File(wsiAttributes());
    expect(notOk(readPart10(file.subarray(128)))).toContain('no "DICM"');
  });

  it('refuses a file cut inside its file meta group', () => {
    const file = part10File(wsiAttributes());
    expect(notOk(readPart10(file.subarray(0, 150)))).toMatch(/file meta information|Transfer Syntax UID/);
    expect(notOk(readPart10(file.subarray(0, offsetOfTag(file, '00020010') + 10)))).toMatch(/file meta information|Transfer Syntax UID/);
  });

  it('reads garbage after a valid file meta group as a data set cut short, from which no event can be made', () => {
    const file = part10File(wsiAttributes());
    const metaEnd = offsetOfTag(file, '00080005');
    const garbage = Buffer.concat([file.subarray(0, metaEnd), Buffer.from('this is not DICOM, only text after the file meta group. '.repeat(5))]);
    const read = ok(readPart10(garbage));
    expect(read.cutShort).toContain(`after ${garbage.length} bytes`);
    const m = map(read);
    // The file meta group names a WSI instance, but there is no slide barcode: POST /dicom/instances answers 400 invalid_dicom.
    expect(m.ok ? 'event' : m.error).toBe('missing_attributes');
  });

  it('never throws on random bytes, random cuts or random damage of a valid file (fast-check)', () => {
    const file = part10File(wsiAttributes({ iccProfile: Buffer.alloc(300, 3) }), { undefinedLengths: true, pixelData: Buffer.alloc(64, 9) });
    const total = (bytes: Uint8Array) => {
      const read = readPart10(bytes);
      if (read.ok) {
        const m = map(read);
        expect(m.ok ? m.event.eventId : m.message).toBeTruthy();
      } else {
        expect(read.reason.length).toBeGreaterThan(0);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => total(bytes)), { numRuns: 300 });
    fc.assert(fc.property(fc.integer({ min: 0, max: file.length }), (cut) => total(file.subarray(0, cut))), { numRuns: 400 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 132, max: file.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (damage) => {
        const copy = Buffer.from(file);
        for (const [at, value] of damage) copy[at] = value;
        total(copy);
      }),
      { numRuns: 400 },
    );
  });
});

describe('readDicomJson', () => {
  const instance = dicomJson(wsiAttributes({ containerIdentifier: 'S26-2-A1-1' }));

  it('reads one instance given as an object or as an array holding one', () => {
    expect(first(ok(readDicomJson(instance)).dataset, 'ContainerIdentifier')).toBe('S26-2-A1-1');
    expect(first(ok(readDicomJson([instance])).dataset, 'ContainerIdentifier')).toBe('S26-2-A1-1');
  });

  it('reads person names, numbers and lower-case tags', () => {
    const read = ok(readDicomJson({ '00080070': { vr: 'LO', Value: ['Leica'] }, '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] }, '00400512': { vr: 'LO', Value: [12345] } }));
    expect(first(read.dataset, 'ContainerIdentifier')).toBe('12345');
    const lower = ok(readDicomJson({ '0008002a': { vr: 'DT', Value: ['20261127'] } }));
    expect(first(lower.dataset, 'AcquisitionDateTime')).toBe('20261127');
  });

  it('refuses several instances, none, and what is not DICOM JSON', () => {
    expect(notOk(readDicomJson([instance, instance]))).toBe('send one instance per request (the array holds 2)');
    expect(notOk(readDicomJson([]))).toBe('the DICOM JSON array is empty: send one instance');
    expect(notOk(readDicomJson('00080016'))).toContain('DICOM JSON must be an object of attributes');
    expect(notOk(readDicomJson({ eventId: 'm-1', slideBarcode: 'S-1' }))).toBe('not DICOM JSON: no attribute tags (8 hex digits such as "00080016") at the top level');
  });

  it('reads a malformed attribute as absent instead of failing', () => {
    const read = ok(readDicomJson({ '00400512': { vr: 'LO', Value: 'S26-1' }, '00221061': 'S26-1', '00400560': { vr: 'SQ', Value: [1, 'x', null] } }));
    expect(first(read.dataset, 'ContainerIdentifier')).toBeUndefined();
    expect(first(read.dataset, 'BarcodeValue')).toBeUndefined();
    expect(read.dataset.items('SpecimenDescriptionSequence')).toEqual([]);
  });
});
