import { AccessionNumber, ContractIssue, describeIssues, ScannerMiddlewareEvent, ScanPurpose, SlideBarcode } from '@slidecharge/contracts';
import { dicomDateAndTimeToIso, dicomDateTimeToIso } from './dicom-datetime';
import { attributeName, DicomDataset, first, TagName } from './dicom-dataset';

/**
 * From a stored whole-slide image instance (its DICOM attributes) to the scanner event slidecharge
 * takes from scanner middleware. Pure and total: every input gives an event or a refusal with reasons,
 * never an exception. The tag mapping is documented in docs/dicom-mapping.md.
 */

/** VL Whole Slide Microscopy Image Storage: the only SOP class taken. */
export const WSI_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.77.1.6';

/** Names of SOP classes an image manager may send by mistake, for a readable refusal. */
const KNOWN_SOP_CLASSES: Readonly<Record<string, string>> = {
  '1.2.840.10008.5.1.4.1.1.77.1.2': 'VL Microscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.3': 'VL Slide-Coordinates Microscopic Image Storage',
  '1.2.840.10008.5.1.4.1.1.77.1.4': 'VL Photographic Image Storage',
  '1.2.840.10008.5.1.4.1.1.7': 'Secondary Capture Image Storage',
  '1.2.840.10008.5.1.4.1.1.2': 'CT Image Storage',
  '1.2.840.10008.5.1.4.1.1.4': 'MR Image Storage',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF Storage',
  '1.2.840.10008.5.1.4.1.1.88.33': 'Comprehensive SR Storage',
};

/** Event ids of DICOM-made events: "dicom:" + SOP Instance UID, so a resent instance is a duplicate. */
export const DICOM_EVENT_ID_PREFIX = 'dicom:';
export const dicomEventIdOf = (sopInstanceUid: string): string => `${DICOM_EVENT_ID_PREFIX}${sopInstanceUid}`;

/** Scanner id when the instance names no device (Manufacturer, Device Serial Number, Model, Station). */
export const UNKNOWN_SCANNER = 'unknown-dicom-device';

export interface DicomSpecimen {
  identifier?: string;
  uid?: string;
}

/** The DICOM attributes an event was made from; kept on the receipt and shown in lookups. */
export interface DicomSlideFacts {
  source: 'part10' | 'dicom-json';
  transferSyntaxUid?: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  /** As in the instance, even when it is not a usable accession number (then a warning says so). */
  accessionNumber?: string;
  containerIdentifier?: string;
  barcodeValue?: string;
  /** Which attribute the slide barcode came from. */
  slideBarcodeFrom: 'ContainerIdentifier' | 'BarcodeValue';
  specimens: DicomSpecimen[];
  imageType?: string[];
  manufacturer?: string;
  manufacturerModelName?: string;
  deviceSerialNumber?: string;
  /** Which attributes gave the scan time ("received" when none did). */
  scannedAtFrom: 'AcquisitionDateTime' | 'ContentDate+ContentTime' | 'AcquisitionDate+AcquisitionTime' | 'received';
  warnings: string[];
}

export interface WsiMappingOptions {
  source: DicomSlideFacts['source'];
  transferSyntaxUid?: string | undefined;
  /** UTC offset (+HHMM) for times without one (DICOM_DEFAULT_UTC_OFFSET). */
  defaultUtcOffset: string;
  /** The scan time when the instance has none: when it was received. */
  receivedAt: Date;
  purpose: ScanPurpose;
}

export type WsiMapping =
  | { ok: true; event: ScannerMiddlewareEvent; facts: DicomSlideFacts; warnings: string[] }
  | { ok: false; error: 'unsupported_sop_class' | 'missing_attributes' | 'invalid_attributes'; message: string; issues: ContractIssue[] };

const UID = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;
const isUid = (v: string | undefined): v is string => v !== undefined && v.length <= 64 && UID.test(v);

const notAUid = (value: string) => `${JSON.stringify(value.slice(0, 80))} is not a UID (digits and dots, at most 64 characters)`;

/** An optional UID attribute: its value; a warning (and undefined) when it is there but malformed. */
function optionalUid(ds: DicomDataset, name: TagName, warnings: string[]): string | undefined {
  const value = first(ds, name);
  if (value === undefined || isUid(value)) return value;
  warnings.push(`${attributeName(name)} ${notAUid(value)}; it was ignored`);
  return undefined;
}

/**
 * The slide barcode. Container Identifier (0040,0512) comes first: it is the slide's identifier as
 * the image manager reconciled it with the LIS (Type 1 in the Specimen module), which is what the
 * case's slides are keyed by. Barcode Value (0022,1061) is what the scanner decoded from the label; it
 * is used when there is no usable Container Identifier. When both are there and differ, the Container
 * Identifier stands and a warning says so (the label may belong to another slide).
 */
function slideBarcode(
  ds: DicomDataset,
  issues: ContractIssue[],
  warnings: string[],
): { barcode: string; from: DicomSlideFacts['slideBarcodeFrom'] } | undefined {
  const container = first(ds, 'ContainerIdentifier');
  const label = first(ds, 'BarcodeValue');
  const usable = (v: string | undefined) => (v === undefined ? undefined : SlideBarcode.safeParse(v).success ? v : undefined);
  const rule = 'printable ASCII without spaces, 3-64 characters';
  if (usable(container)) {
    if (label !== undefined && label !== container) {
      warnings.push(`${attributeName('BarcodeValue')} "${label}" differs from ${attributeName('ContainerIdentifier')} "${container}"; the Container Identifier was used`);
    }
    return { barcode: container as string, from: 'ContainerIdentifier' };
  }
  if (usable(label)) {
    if (container !== undefined) {
      warnings.push(`${attributeName('ContainerIdentifier')} ${JSON.stringify(container)} is not a usable slide barcode (${rule}); ${attributeName('BarcodeValue')} was used`);
    }
    return { barcode: label as string, from: 'BarcodeValue' };
  }
  if (container === undefined && label === undefined) {
    issues.push({
      path: `${attributeName('ContainerIdentifier')} or ${attributeName('BarcodeValue')}`,
      message: 'one is required: it is the slide barcode that ties the image to its case',
    });
  } else {
    for (const [name, value] of [['ContainerIdentifier', container] as const, ['BarcodeValue', label] as const]) {
      if (value !== undefined) issues.push({ path: attributeName(name), message: `${JSON.stringify(value.slice(0, 80))} is not a usable slide barcode (${rule})` });
    }
  }
  return undefined;
}

/** When the slide was scanned: Acquisition DateTime, else Content Date + Time, else Acquisition Date + Time, else when received. */
function scannedAt(ds: DicomDataset, options: WsiMappingOptions, warnings: string[]): { at: string; from: DicomSlideFacts['scannedAtFrom'] } {
  const tzAttribute = first(ds, 'TimezoneOffsetFromUTC');
  const tzUsable = tzAttribute !== undefined && /^[+-]\d{4}$/.test(tzAttribute);
  if (tzAttribute !== undefined && !tzUsable) warnings.push(`${attributeName('TimezoneOffsetFromUTC')} ${JSON.stringify(tzAttribute.slice(0, 20))} is not +HHMM; it was ignored`);
  const offset = tzUsable ? tzAttribute : options.defaultUtcOffset;
  const found = (at: string, from: DicomSlideFacts['scannedAtFrom'], ownOffset: boolean) => {
    if (!tzUsable && !ownOffset) warnings.push(`no UTC offset in the instance: its times are taken at ${options.defaultUtcOffset} (DICOM_DEFAULT_UTC_OFFSET)`);
    return { at, from };
  };

  const dt = first(ds, 'AcquisitionDateTime');
  if (dt !== undefined) {
    const at = dicomDateTimeToIso(dt, offset);
    if (at) return found(at, 'AcquisitionDateTime', /[+-]\d{4}$/.test(dt));
    warnings.push(`${attributeName('AcquisitionDateTime')} ${JSON.stringify(dt.slice(0, 40))} is not a DICOM date-time; it was ignored`);
  }
  const pairs: [TagName, TagName, DicomSlideFacts['scannedAtFrom']][] = [
    ['ContentDate', 'ContentTime', 'ContentDate+ContentTime'],
    ['AcquisitionDate', 'AcquisitionTime', 'AcquisitionDate+AcquisitionTime'],
  ];
  for (const [dateName, timeName, from] of pairs) {
    const da = first(ds, dateName);
    if (da === undefined) continue;
    const at = dicomDateAndTimeToIso(da, first(ds, timeName), offset);
    if (at) return found(at, from, false);
    warnings.push(`${attributeName(dateName)} / ${attributeName(timeName)} are not a DICOM date and time; they were ignored`);
  }
  warnings.push('no acquisition or content date and time in the instance: the time it was received stands in for the scan time');
  return { at: options.receivedAt.toISOString(), from: 'received' };
}

/** Manufacturer and Device Serial Number (else the model name, else the Station Name). */
function scannerIdOf(ds: DicomDataset, warnings: string[]): string {
  const manufacturer = first(ds, 'Manufacturer');
  const device = first(ds, 'DeviceSerialNumber') ?? first(ds, 'ManufacturerModelName');
  const parts = [manufacturer, device].filter((p): p is string => p !== undefined);
  const name = parts.length > 0 ? parts.join(' ') : first(ds, 'StationName');
  if (!name) {
    warnings.push(`no ${attributeName('Manufacturer')}, ${attributeName('DeviceSerialNumber')} or ${attributeName('StationName')}: scanner recorded as "${UNKNOWN_SCANNER}"`);
    return UNKNOWN_SCANNER;
  }
  return name.slice(0, 64).trim();
}

/** The objective lens power of the first optical path (for the magnification QC shows). */
function magnificationOf(ds: DicomDataset): number | undefined {
  const [path] = ds.items('OpticalPathSequence');
  const text = path ? first(path, 'ObjectiveLensPower') : undefined;
  const power = text === undefined ? NaN : Number(text);
  return Number.isFinite(power) && power > 0 && power <= 100 ? power : undefined;
}

/** The specimens on the slide (Specimen Description Sequence): identifier and UID of each. */
function specimensOf(ds: DicomDataset): DicomSpecimen[] {
  return ds.items('SpecimenDescriptionSequence').flatMap((item) => {
    const identifier = first(item, 'SpecimenIdentifier');
    const specimenUid = first(item, 'SpecimenUID');
    if (identifier === undefined && specimenUid === undefined) return [];
    return [{ ...(identifier !== undefined ? { identifier } : {}), ...(specimenUid !== undefined ? { uid: specimenUid } : {}) }];
  });
}

/**
 * Maps one whole-slide image instance to a scan.completed middleware event:
 * eventId "dicom:<SOP Instance UID>" (a resent instance is a duplicate), scanId = Series Instance UID
 * (every instance of one scan's pyramid shares it, so QC and billing see one scan), image.imageId =
 * SOP Instance UID, slide barcode from Container Identifier / Barcode Value, accession number,
 * scan time and scanner. Image-quality metrics are not in DICOM and stay absent, except barcodeRead
 * (true when the scanner's Barcode Value is the slide barcode used) and magnification.
 */
export function mapWsiInstance(ds: DicomDataset, options: WsiMappingOptions): WsiMapping {
  const issues: ContractIssue[] = [];
  const warnings: string[] = [];

  const sopClassUid = first(ds, 'SOPClassUID') ?? first(ds, 'MediaStorageSOPClassUID');
  if (sopClassUid === undefined) {
    return {
      ok: false,
      error: 'missing_attributes',
      message: `the instance has no ${attributeName('SOPClassUID')}: cannot tell whether it is a whole-slide image`,
      issues: [{ path: attributeName('SOPClassUID'), message: 'is required' }],
    };
  }
  if (sopClassUid !== WSI_SOP_CLASS_UID) {
    const known = KNOWN_SOP_CLASSES[sopClassUid];
    return {
      ok: false,
      error: 'unsupported_sop_class',
      message:
        `SOP Class ${sopClassUid.slice(0, 64)}${known ? ` (${known})` : ''} is not VL Whole Slide Microscopy Image Storage (${WSI_SOP_CLASS_UID}); ` +
        'only whole-slide images make scan events',
      issues: [{ path: attributeName('SOPClassUID'), message: `must be ${WSI_SOP_CLASS_UID}` }],
    };
  }

  // SOP Instance UID, else (Part 10) the file meta's Media Storage SOP Instance UID.
  const sopName: TagName = first(ds, 'SOPInstanceUID') !== undefined ? 'SOPInstanceUID' : 'MediaStorageSOPInstanceUID';
  const sopRaw = first(ds, sopName);
  let sopInstanceUid: string | undefined;
  if (sopRaw === undefined) issues.push({ path: attributeName('SOPInstanceUID'), message: 'is required: it identifies the image (and a resent image)' });
  else if (!isUid(sopRaw)) issues.push({ path: attributeName(sopName), message: notAUid(sopRaw) });
  else sopInstanceUid = sopRaw;
  const seriesInstanceUid = optionalUid(ds, 'SeriesInstanceUID', warnings);
  const studyInstanceUid = optionalUid(ds, 'StudyInstanceUID', warnings);
  const barcode = slideBarcode(ds, issues, warnings);
  if (issues.length > 0 || sopInstanceUid === undefined || barcode === undefined) {
    return {
      ok: false,
      error: 'missing_attributes',
      message: `the whole-slide image cannot be tied to a slide: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    };
  }
  if (seriesInstanceUid === undefined) warnings.push(`no usable ${attributeName('SeriesInstanceUID')}: the SOP Instance UID stands in for the scan id`);

  const accessionRaw = first(ds, 'AccessionNumber');
  const accession = accessionRaw !== undefined && AccessionNumber.safeParse(accessionRaw).success ? AccessionNumber.parse(accessionRaw) : undefined;
  if (accessionRaw !== undefined && accession === undefined) {
    warnings.push(`${attributeName('AccessionNumber')} ${JSON.stringify(accessionRaw.slice(0, 40))} is not an accession number slidecharge knows (3-32 letters, digits, ".", "_", "-"); it was left out of the event`);
  }
  const time = scannedAt(ds, options, warnings);
  const scannerId = scannerIdOf(ds, warnings);
  const label = first(ds, 'BarcodeValue');
  const magnification = magnificationOf(ds);

  const candidate = {
    eventId: dicomEventIdOf(sopInstanceUid),
    eventType: 'scan.completed',
    occurredAt: time.at,
    slideBarcode: barcode.barcode,
    scannerId,
    scanId: seriesInstanceUid ?? sopInstanceUid,
    purpose: options.purpose,
    image: {
      imageId: sopInstanceUid,
      ...(label !== undefined && label === barcode.barcode ? { barcodeRead: true } : {}),
      ...(magnification !== undefined ? { magnification } : {}),
    },
    ...(accession !== undefined ? { accessionNumber: accession } : {}),
  };
  const checked = ScannerMiddlewareEvent.safeParse(candidate);
  if (!checked.success) {
    // Not expected (every field was checked above); refuse with the contract's words rather than throw.
    return { ok: false, error: 'invalid_attributes', message: 'the scan event made from the instance breaks the contract', issues: describeIssues(checked.error) };
  }

  const imageType = ds.strings('ImageType');
  const manufacturer = first(ds, 'Manufacturer');
  const manufacturerModelName = first(ds, 'ManufacturerModelName');
  const deviceSerialNumber = first(ds, 'DeviceSerialNumber');
  const container = first(ds, 'ContainerIdentifier');
  const facts: DicomSlideFacts = {
    source: options.source,
    ...(options.transferSyntaxUid ? { transferSyntaxUid: options.transferSyntaxUid } : {}),
    sopClassUid,
    sopInstanceUid,
    ...(studyInstanceUid ? { studyInstanceUid } : {}),
    ...(seriesInstanceUid ? { seriesInstanceUid } : {}),
    ...(accessionRaw !== undefined ? { accessionNumber: accessionRaw } : {}),
    ...(container !== undefined ? { containerIdentifier: container } : {}),
    ...(label !== undefined ? { barcodeValue: label } : {}),
    slideBarcodeFrom: barcode.from,
    specimens: specimensOf(ds),
    ...(imageType.length > 0 ? { imageType } : {}),
    ...(manufacturer !== undefined ? { manufacturer } : {}),
    ...(manufacturerModelName !== undefined ? { manufacturerModelName } : {}),
    ...(deviceSerialNumber !== undefined ? { deviceSerialNumber } : {}),
    scannedAtFrom: time.from,
    warnings,
  };
  return { ok: true, event: checked.data, facts, warnings };
}
