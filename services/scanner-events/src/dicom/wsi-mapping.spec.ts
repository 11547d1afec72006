import fc from 'fast-check';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { DEFAULT_QC_RULES, evaluateScanQuality } from '@slidecharge/qc-rules';
import { dicomJson, part10File, WSI_SOP_CLASS, WsiInstance, wsiAttributes } from '../../test/dicom-fixtures';
import { jsonDataset, TAGS } from './dicom-dataset';
import { readDicomJson, readPart10 } from './dicom-readers';
import { mapWsiInstance, UNKNOWN_SCANNER, WsiMapping, WsiMappingOptions } from './wsi-mapping';

const RECEIVED_AT = new Date('2026-11-27T12:00:00.000Z');
const options: WsiMappingOptions = { source: 'dicom-json', defaultUtcOffset: '+0000', receivedAt: RECEIVED_AT, purpose: 'diagnostic' };

/** Maps an instance given as DICOM JSON. */
const fromJson = (over: WsiInstance = {}, opts: Partial<WsiMappingOptions> = {}): WsiMapping => mapWsiInstance(jsonDataset(dicomJson(wsiAttributes(over))), { ...options, ...opts });

function accepted(mapping: WsiMapping) {
  if (!mapping.ok) throw new Error(`expected a scan event, got ${mapping.error}: ${mapping.message}`);
  return mapping;
}
function refused(mapping: WsiMapping) {
  if (mapping.ok) throw new Error(`expected a refusal, got event ${mapping.event.eventId}`);
  return mapping;
}

const UIDS = { sopInstanceUid: '1.2.826.0.1.3680043.8.498.11', seriesInstanceUid: '1.2.826.0.1.3680043.8.498.12', studyInstanceUid: '1.2.826.0.1.3680043.8.498.13' };

describe('mapWsiInstance', () => {
  it('makes a scan.completed event from a whole-slide image: barcode, accession, scan id, time, scanner, image', () => {
    const m = accepted(fromJson(UIDS));
    expect(m.event).toEqual({
      eventId: 'dicom:1.2.826.0.1.3680043.8.498.11',
      eventType: 'scan.completed',
      occurredAt: '2026-11-27T10:14:03.120+01:00',
      slideBarcode: 'S26-000123-A1-1',
      scannerId: 'Leica Biosystems GT450-01',
      scanId: '1.2.826.0.1.3680043.8.498.12',
      purpose: 'diagnostic',
      image: { imageId: '1.2.826.0.1.3680043.8.498.11', barcodeRead: true, magnification: 40 },
      accessionNumber: 'S26-000123',
    });
    expect(ScannerMiddlewareEvent.parse(m.event)).toEqual(m.event);
    expect(m.facts).toEqual({
      source: 'dicom-json',
      sopClassUid: WSI_SOP_CLASS,
      sopInstanceUid: UIDS.sopInstanceUid,
      studyInstanceUid: UIDS.studyInstanceUid,
      seriesInstanceUid: UIDS.seriesInstanceUid,
      accessionNumber: 'S26-000123',
      containerIdentifier: 'S26-000123-A1-1',
      barcodeValue: 'S26-000123-A1-1',
      slideBarcodeFrom: 'ContainerIdentifier',
      specimens: [{ identifier: 'S26-000123-A', uid: '1.2.826.0.1.3680043.8.498.77' }],
      imageType: ['ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE'],
      manufacturer: 'Leica Biosystems',
      deviceSerialNumber: 'GT450-01',
      scannedAtFrom: 'AcquisitionDateTime',
      warnings: [],
    });
    expect(m.warnings).toEqual([]);
  });

  it('maps a Part 10 file and the DICOM JSON of the same instance to the same event', () => {
    const attributes = wsiAttributes(UIDS);
    const read = readPart10(part10File(attributes));
    if (!read.ok) throw new Error(read.reason);
    const fromPart10 = accepted(mapWsiInstance(read.dataset, { ...options, source: 'part10', transferSyntaxUid: read.transferSyntaxUid }));
    const fromDicomJson = accepted(mapWsiInstance(jsonDataset(dicomJson(attributes)), options));
    expect(fromPart10.event).toEqual(fromDicomJson.event);
    expect({ ...fromPart10.facts, source: 'dicom-json', transferSyntaxUid: undefined }).toEqual({ ...fromDicomJson.facts, transferSyntaxUid: undefined });
    expect(fromPart10.facts.transferSyntaxUid).toBe('1.2.840.10008.1.2.1');
  });

  it('carries the purpose it is given (DICOM has none)', () => {
    expect(accepted(fromJson({}, { purpose: 'education' })).event.purpose).toBe('education');
  });

  describe('slide barcode: Container Identifier first, then Barcode Value', () => {
    it('uses Container Identifier and notes the scanner read the same label', () => {
      const m = accepted(fromJson({ containerIdentifier: 'S26-9-A1-1', barcodeValue: 'S26-9-A1-1' }));
      expect(m.event.slideBarcode).toBe('S26-9-A1-1');
      expect(m.event.image?.barcodeRead).toBe(true);
    });

    it('keeps Container Identifier when the label says otherwise, with a warning and no barcodeRead', () => {
      const m = accepted(fromJson({ containerIdentifier: 'S26-9-A1-1', barcodeValue: 'S26-9-B1-1' }));
      expect(m.event.slideBarcode).toBe('S26-9-A1-1');
      expect(m.facts.slideBarcodeFrom).toBe('ContainerIdentifier');
      expect(m.event.image).not.toHaveProperty('barcodeRead');
      expect(m.warnings).toEqual(['BarcodeValue (0022,1061) "S26-9-B1-1" differs from ContainerIdentifier (0040,0512) "S26-9-A1-1"; the Container Identifier was used']);
    });

    it('uses Barcode Value when there is no Container Identifier', () => {
      const m = accepted(fromJson({ containerIdentifier: undefined, barcodeValue: 'S26-9-C1-1' }));
      expect(m.event.slideBarcode).toBe('S26-9-C1-1');
      expect(m.facts.slideBarcodeFrom).toBe('BarcodeValue');
      expect(m.event.image?.barcodeRead).toBe(true);
      expect(m.warnings).toEqual([]);
    });

    it('uses Barcode Value when the Container Identifier is not a usable barcode, and says so', () => {
      const m = accepted(fromJson({ containerIdentifier: 'slide one', barcodeValue: 'S26-9-C1-1' }));
      expect(m.event.slideBarcode).toBe('S26-9-C1-1');
      expect(m.warnings[0]).toContain('ContainerIdentifier (0040,0512) "slide one" is not a usable slide barcode');
    });

    it('refuses an instance with neither, naming both attributes', () => {
      const m = refused(fromJson({ containerIdentifier: undefined, barcodeValue: undefined }));
      expect(m.error).toBe('missing_attributes');
      expect(m.issues).toEqual([
        { path: 'ContainerIdentifier (0040,0512) or BarcodeValue (0022,1061)', message: 'one is required: it is the slide barcode that ties the image to its case' },
      ]);
      expect(m.message).toContain('cannot be tied to a slide');
    });

    it('refuses an instance whose barcodes are both unusable, naming each', () => {
      const m = refused(fromJson({ containerIdentifier: 'a b', barcodeValue: 'x' }));
      expect(m.issues.map((i) => i.path)).toEqual(['ContainerIdentifier (0040,0512)', 'BarcodeValue (0022,1061)']);
    });
  });

  describe('SOP class and instance', () => {
    it('refuses another SOP class with its name and the one taken', () => {
      const m = refused(fromJson({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2' }));
      expect(m.error).toBe('unsupported_sop_class');
      expect(m.message).toBe(
        'SOP Class 1.2.840.10008.5.1.4.1.1.2 (CT Image Storage) is not VL Whole Slide Microscopy Image Storage (1.2.840.10008.5.1.4.1.1.77.1.6); only whole-slide images make scan events',
      );
      expect(refused(fromJson({ sopClassUid: '1.2.3.4' })).message).toMatch(/^SOP Class 1\.2\.3\.4 is not VL Whole Slide/);
    });

    it('refuses an instance without SOP Class UID', () => {
      const m = refused(fromJson({ sopClassUid: undefined }));
      expect(m.error).toBe('missing_attributes');
      expect(m.issues).toEqual([{ path: 'SOPClassUID (0008,0016)', message: 'is required' }]);
    });

    it('takes the SOP class and instance from the file meta group of a Part 10 file when the data set lacks them', () => {
      const attributes = wsiAttributes({ sopClassUid: undefined, sopInstanceUid: undefined });
      const read = readPart10(part10File(attributes, { mediaStorageSopClassUid: WSI_SOP_CLASS, mediaStorageSopInstanceUid: '1.2.3.99' }));
      if (!read.ok) throw new Error(read.reason);
      const m = accepted(mapWsiInstance(read.dataset, { ...options, source: 'part10' }));
      expect(m.facts.sopClassUid).toBe(WSI_SOP_CLASS);
      expect(m.event.eventId).toBe('dicom:1.2.3.99');
    });

    it('refuses an instance without SOP Instance UID, or with one that is not a UID', () => {
      expect(refused(fromJson({ sopInstanceUid: undefined })).issues).toEqual([
        { path: 'SOPInstanceUID (0008,0018)', message: 'is required: it identifies the image (and a resent image)' },
      ]);
      expect(refused(fromJson({ sopInstanceUid: '1.2.03' })).issues[0]?.message).toContain('is not a UID');
      expect(refused(fromJson({ sopInstanceUid: `1.${'2'.repeat(70)}` })).issues[0]?.path).toBe('SOPInstanceUID (0008,0018)');
    });

    it('uses the SOP Instance UID as scan id when there is no usable Series Instance UID', () => {
      const m = accepted(fromJson({ ...UIDS, seriesInstanceUid: undefined }));
      expect(m.event.scanId).toBe(UIDS.sopInstanceUid);
      expect(m.warnings).toEqual(['no usable SeriesInstanceUID (0020,000E): the SOP Instance UID stands in for the scan id']);
      const bad = accepted(fromJson({ ...UIDS, seriesInstanceUid: 'series-1' }));
      expect(bad.event.scanId).toBe(UIDS.sopInstanceUid);
      expect(bad.warnings[0]).toBe('SeriesInstanceUID (0020,000E) "series-1" is not a UID (digits and dots, at most 64 characters); it was ignored');
    });

    it('gives every instance of one series (the pyramid of one scan) the same scan id', () => {
      const series = '1.2.826.0.1.3680043.8.498.500';
      const levels = ['1.2.826.0.1.3680043.8.498.501', '1.2.826.0.1.3680043.8.498.502'].map((sop) => accepted(fromJson({ sopInstanceUid: sop, seriesInstanceUid: series })));
      expect(levels.map((l) => l.event.scanId)).toEqual([series, series]);
      expect(new Set(levels.map((l) => l.event.eventId)).size).toBe(2);
    });
  });

  describe('accession number', () => {
    it('leaves out an accession number slidecharge cannot use, with a warning', () => {
      const m = accepted(fromJson({ accessionNumber: 'S 26/1' }));
      expect(m.event).not.toHaveProperty('accessionNumber');
      expect(m.facts.accessionNumber).toBe('S 26/1');
      expect(m.warnings[0]).toContain('AccessionNumber (0008,0050) "S 26/1" is not an accession number slidecharge knows');
    });

    it('has no accession number and no warning when the instance has none (Type 2, empty)', () => {
      const m = accepted(fromJson({ accessionNumber: undefined }));
      expect(m.event).not.toHaveProperty('accessionNumber');
      expect(m.warnings).toEqual([]);
    });
  });

  describe('scan time', () => {
    it('prefers the offset written in Acquisition DateTime over Timezone Offset From UTC', () => {
      expect(accepted(fromJson({ acquisitionDateTime: '20261127101403-0500', timezoneOffset: '+0100' })).event.occurredAt).toBe('2026-11-27T10:14:03.000-05:00');
    });

    it('takes DICOM_DEFAULT_UTC_OFFSET when the instance has no offset, and says so', () => {
      const m = accepted(fromJson({ acquisitionDateTime: '20261127101403', timezoneOffset: undefined }, { defaultUtcOffset: '+0200' }));
      expect(m.event.occurredAt).toBe('2026-11-27T10:14:03.000+02:00');
      expect(m.warnings).toEqual(['no UTC offset in the instance: its times are taken at +0200 (DICOM_DEFAULT_UTC_OFFSET)']);
    });

    it('falls back to Content Date and Time, then to the time of receipt', () => {
      const content = accepted(fromJson({ acquisitionDateTime: undefined, contentDate: '20261126', contentTime: '235900' }));
      expect(content.event.occurredAt).toBe('2026-11-26T23:59:00.000+01:00');
      expect(content.facts.scannedAtFrom).toBe('ContentDate+ContentTime');
      const none = accepted(fromJson({ acquisitionDateTime: undefined }));
      expect(none.event.occurredAt).toBe(RECEIVED_AT.toISOString());
      expect(none.facts.scannedAtFrom).toBe('received');
      expect(none.warnings).toEqual(['no acquisition or content date and time in the instance: the time it was received stands in for the scan time']);
    });

    it('ignores a malformed Acquisition DateTime with a warning and uses the next source', () => {
      const m = accepted(fromJson({ acquisitionDateTime: '2026-11-27T10:14', contentDate: '20261127', contentTime: '1015' }));
      expect(m.event.occurredAt).toBe('2026-11-27T10:15:00.000+01:00');
      expect(m.warnings).toEqual(['AcquisitionDateTime (0008,002A) "2026-11-27T10:14" is not a DICOM date-time; it was ignored']);
    });
  });

  describe('scanner', () => {
    it('is Manufacturer and Device Serial Number, else what there is, else unknown with a warning', () => {
      expect(accepted(fromJson({ manufacturer: undefined })).event.scannerId).toBe('GT450-01');
      expect(accepted(fromJson({ deviceSerialNumber: undefined })).event.scannerId).toBe('Leica Biosystems');
      const none = accepted(fromJson({ manufacturer: undefined, deviceSerialNumber: undefined }));
      expect(none.event.scannerId).toBe(UNKNOWN_SCANNER);
      expect(none.warnings[0]).toContain('scanner recorded as "unknown-dicom-device"');
      expect(accepted(fromJson({ manufacturer: 'M'.repeat(60), deviceSerialNumber: 'SERIAL-123' })).event.scannerId).toHaveLength(64);
    });
  });

  it('lists every specimen of the Specimen Description Sequence', () => {
    const m = accepted(fromJson({ specimens: [{ identifier: 'S26-1-A', uid: '1.2.3.1' }, { identifier: 'S26-1-B' }] }));
    expect(m.facts.specimens).toEqual([{ identifier: 'S26-1-A', uid: '1.2.3.1' }, { identifier: 'S26-1-B' }]);
    expect(accepted(fromJson({ specimens: undefined })).facts.specimens).toEqual([]);
  });

  it('reports magnification only when the objective lens power is plausible', () => {
    expect(accepted(fromJson({ objectiveLensPower: 20 })).event.image?.magnification).toBe(20);
    expect(accepted(fromJson({ objectiveLensPower: 0 })).event.image).not.toHaveProperty('magnification');
    expect(accepted(fromJson({ objectiveLensPower: undefined })).event.image).not.toHaveProperty('magnification');
  });

  it('has no image-quality metrics (they are not in DICOM): QC lets the scan pass by default and fails it under missingMetric "fail"', () => {
    const image = accepted(fromJson()).event.image ?? {};
    expect(Object.keys(image).sort()).toEqual(['barcodeRead', 'imageId', 'magnification']);
    const lenient = evaluateScanQuality(image, DEFAULT_QC_RULES);
    expect(lenient.passed).toBe(true);
    expect(lenient.checks.filter((c) => c.value === null).map((c) => c.rule)).toEqual(['focus', 'tissue', 'file-size', 'stitching']);
    const strict = evaluateScanQuality(image, { ...DEFAULT_QC_RULES, missingMetric: 'fail' });
    expect(strict.passed).toBe(false);
    expect(strict.reasons).toHaveLength(4);
    // Without a matching Barcode Value, the barcode check has nothing either.
    const noLabel = accepted(fromJson({ barcodeValue: undefined })).event.image ?? {};
    expect(evaluateScanQuality(noLabel, { ...DEFAULT_QC_RULES, missingMetric: 'fail' }).reasons).toHaveLength(5);
  });
});

describe('mapWsiInstance on arbitrary input (fast-check)', () => {
  const tagNames = Object.values(TAGS);
  const dicomValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.record({ Alphabetic: fc.string() }), fc.constant(WSI_SOP_CLASS), fc.constant('1.2.3.4'));
  const attribute = fc.oneof(
    fc.record({ vr: fc.constantFrom('UI', 'SH', 'LO', 'DT', 'DA', 'TM', 'CS', 'DS', 'SQ', 'PN'), Value: fc.array(dicomValue, { maxLength: 3 }) }),
    fc.anything(),
  );
  const dataset = fc.dictionary(fc.oneof(fc.constantFrom(...tagNames), fc.string()), attribute, { maxKeys: 12 });
  const withSequences = fc.letrec((tie) => ({
    ds: fc.dictionary(fc.constantFrom(...tagNames), fc.oneof(attribute, fc.record({ vr: fc.constant('SQ'), Value: fc.array(tie('ds'), { maxLength: 2 }) })), { maxKeys: 10 }),
  })).ds;

  const total = (body: unknown) => {
    const read = readDicomJson(body);
    if (!read.ok) return expect(read.reason.length).toBeGreaterThan(0);
    const m = mapWsiInstance(read.dataset, options);
    if (m.ok) expect(ScannerMiddlewareEvent.safeParse(m.event).success).toBe(true);
    else expect(m.message.length).toBeGreaterThan(0);
  };

  it('never throws on any JSON value, and answers an event that meets the contract or a reason', () => {
    fc.assert(fc.property(fc.jsonValue(), total), { numRuns: 500 });
    fc.assert(fc.property(fc.anything(), total), { numRuns: 300 });
  });

  it('never throws on DICOM-JSON-shaped data sets with random attributes and nested sequences', () => {
    fc.assert(fc.property(dataset, total), { numRuns: 500 });
    fc.assert(fc.property(withSequences, total), { numRuns: 300 });
  });

  it('makes an event for any WSI instance with a UID and a usable barcode, whatever else it holds', () => {
    // Printable ASCII without spaces and without the DICOM value delimiter (backslash).
    const barcode = fc.stringMatching(/^[A-Za-z0-9][!-[\]-~]{2,40}$/);
    fc.assert(
      fc.property(dataset, barcode, (noise, slide) => {
        const body = { ...noise, '00080016': { vr: 'UI', Value: [WSI_SOP_CLASS] }, '00080018': { vr: 'UI', Value: ['1.2.3.4'] }, '00400512': { vr: 'LO', Value: [slide] } };
        const m = accepted(mapWsiInstance(jsonDataset(body), options));
        expect(m.event.slideBarcode).toBe(slide);
        expect(m.event.eventId).toBe('dicom:1.2.3.4');
      }),
      { numRuns: 300 },
    );
  });
});
