import type { DataSet, Element } from 'dicom-parser';

/**
 * The few DICOM attributes slidecharge reads, and one read-only view over a data set whether it came
 * from a Part 10 file (dicom-parser) or from DICOM JSON (PS3.18 F.2). The mapping to a scan event
 * (wsi-mapping.ts) sees only this view, so both paths map the same way.
 */

/** Attribute tags as 8 upper-case hex digits (group + element), the DICOM JSON key form. */
export const TAGS = {
  MediaStorageSOPClassUID: '00020002',
  MediaStorageSOPInstanceUID: '00020003',
  TransferSyntaxUID: '00020010',
  SpecificCharacterSet: '00080005',
  ImageType: '00080008',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  AcquisitionDate: '00080022',
  ContentDate: '00080023',
  AcquisitionDateTime: '0008002A',
  AcquisitionTime: '00080032',
  ContentTime: '00080033',
  AccessionNumber: '00080050',
  Manufacturer: '00080070',
  TimezoneOffsetFromUTC: '00080201',
  StationName: '00081010',
  ManufacturerModelName: '00081090',
  DeviceSerialNumber: '00181000',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  BarcodeValue: '00221061',
  ContainerIdentifier: '00400512',
  SpecimenIdentifier: '00400551',
  SpecimenUID: '00400554',
  SpecimenDescriptionSequence: '00400560',
  OpticalPathSequence: '00480105',
  ObjectiveLensPower: '00480112',
  PixelData: '7FE00010',
} as const;
export type TagName = keyof typeof TAGS;

/** "ContainerIdentifier (0040,0512)": how answers name an attribute. */
export function attributeName(name: TagName): string {
  const tag = TAGS[name];
  return `${name} (${tag.slice(0, 4)},${tag.slice(4)})`;
}

export interface DicomDataset {
  /** The values of a text-like attribute (UI, SH, LO, CS, DA, TM, DT, DS, IS, PN), trimmed, empty ones left out. */
  strings(name: TagName): string[];
  /** The items of a sequence attribute (SQ); [] when absent. */
  items(name: TagName): DicomDataset[];
}

/** The first non-empty value of an attribute. */
export const first = (ds: DicomDataset, name: TagName): string | undefined => ds.strings(name)[0];

const splitValues = (text: string): string[] =>
  text
    .split('\\')
    .map((v) => v.replace(/\0/g, '').trim())
    .filter((v) => v.length > 0);

// ---- Part 10 (dicom-parser) ----

const UNDEFINED_LENGTH = 0xffffffff;

/**
 * A view over a data set parsed by dicom-parser. An element whose value runs past the end of the bytes
 * received (a header cut short) counts as absent instead of being read from beyond the buffer.
 */
export function part10Dataset(dataSet: DataSet): DicomDataset {
  const complete = (element: Element | undefined): element is Element =>
    element !== undefined && element.length !== UNDEFINED_LENGTH && element.dataOffset + element.length <= dataSet.byteArray.length;
  return {
    strings(name) {
      const key = `x${TAGS[name].toLowerCase()}`;
      const element = dataSet.elements[key];
      if (!complete(element) || element.length === 0 || element.items) return [];
      try {
        const text = dataSet.string(key);
        return text === undefined ? [] : splitValues(text);
      } catch {
        return [];
      }
    },
    items(name) {
      const element = dataSet.elements[`x${TAGS[name].toLowerCase()}`];
      if (!element?.items) return [];
      return element.items.flatMap((item) => (item.dataSet ? [part10Dataset(item.dataSet)] : []));
    },
  };
}

// ---- DICOM JSON (PS3.18 F.2) ----

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const own = (o: Record<string, unknown>, key: string): unknown => (Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined);

/**
 * A view over one DICOM JSON data set: {"00080050": {"vr": "SH", "Value": ["S26-1"]}, ...}. Values may
 * be strings, numbers (IS, DS, ...) or person names ({"Alphabetic": ...}); sequence items are data
 * sets. Anything that does not have this shape reads as absent: the view never throws.
 */
export function jsonDataset(attributes: Record<string, unknown>): DicomDataset {
  const valuesOf = (name: TagName): unknown[] => {
    const tag = TAGS[name];
    const attribute = own(attributes, tag) ?? own(attributes, tag.toLowerCase());
    if (!isRecord(attribute)) return [];
    const value = own(attribute, 'Value');
    return Array.isArray(value) ? value : [];
  };
  return {
    strings(name) {
      return valuesOf(name).flatMap((v): string[] => {
        if (typeof v === 'string') return splitValues(v);
        if (typeof v === 'number' && Number.isFinite(v)) return [String(v)];
        if (isRecord(v) && typeof own(v, 'Alphabetic') === 'string') return splitValues(own(v, 'Alphabetic') as string);
        return [];
      });
    },
    items(name) {
      return valuesOf(name).flatMap((item) => (isRecord(item) ? [jsonDataset(item)] : []));
    },
  };
}
