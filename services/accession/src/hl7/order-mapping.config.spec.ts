import { DEFAULT_ORDER_MAPPING } from '@slidecharge/hl7';
import { loadServiceConfig } from '../config';
import { fieldRefOf, orderMappingOf } from './order-mapping.config';

describe('order mapping settings', () => {
  it('ACCESSION_HL7_SLIDE_BARCODE_FIELD=OBR-21 reads slide barcodes from OBR-21; unset keeps the default mapping', () => {
    expect(fieldRefOf('OBR-21')).toEqual({ segment: 'OBR', field: 21 });
    expect(fieldRefOf('SPM-2.2')).toEqual({ segment: 'SPM', field: 2, component: 2 });
    expect(fieldRefOf('21')).toBeUndefined();
    expect(orderMappingOf({ ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21' }).specimenSlideBarcodes).toEqual([{ segment: 'OBR', field: 21 }]);
    expect(orderMappingOf({})).toBe(DEFAULT_ORDER_MAPPING);
  });

  it('ACCESSION_HL7_RETRIEVAL_DATE_FIELD=SPM-18 reads the retrieved-from-storage date from SPM-18; the slide field is kept beside it', () => {
    const mapping = orderMappingOf({ ACCESSION_HL7_RETRIEVAL_DATE_FIELD: 'SPM-18', ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21' });
    expect(mapping.specimenRetrievedFromStorageDate).toEqual([{ segment: 'SPM', field: 18 }]);
    expect(mapping.specimenSlideBarcodes).toEqual([{ segment: 'OBR', field: 21 }]);
    expect(orderMappingOf({ ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21' }).specimenRetrievedFromStorageDate).toEqual([]);
    expect(DEFAULT_ORDER_MAPPING.specimenRetrievedFromStorageDate).toEqual([]);
  });

  it('the variables are checked: merge mode specimen|case (default specimen), the slide and retrieval-date fields OBR-n/SPM-n', () => {
    const base = { DATABASE_URL: 'postgresql://x@localhost/db', KAFKA_BROKERS: 'localhost:9092', SLIDECHARGE_ENV: 'development', OIDC_ISSUER: 'http://localhost/realms/x' };
    expect(loadServiceConfig(base).ACCESSION_HL7_ORDER_MERGE).toBe('specimen');
    expect(loadServiceConfig({ ...base, ACCESSION_HL7_ORDER_MERGE: 'case', ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21' })).toMatchObject({ ACCESSION_HL7_ORDER_MERGE: 'case', ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'OBR-21' });
    expect(() => loadServiceConfig({ ...base, ACCESSION_HL7_ORDER_MERGE: 'whole' })).toThrow(/ACCESSION_HL7_ORDER_MERGE/);
    expect(() => loadServiceConfig({ ...base, ACCESSION_HL7_SLIDE_BARCODE_FIELD: 'PID-3' })).toThrow(/ACCESSION_HL7_SLIDE_BARCODE_FIELD/);
    expect(loadServiceConfig({ ...base, ACCESSION_HL7_RETRIEVAL_DATE_FIELD: 'OBR-14' }).ACCESSION_HL7_RETRIEVAL_DATE_FIELD).toBe('OBR-14');
    expect(loadServiceConfig({ ...base, ACCESSION_HL7_RETRIEVAL_DATE_FIELD: '' }).ACCESSION_HL7_RETRIEVAL_DATE_FIELD).toBeUndefined();
    expect(() => loadServiceConfig({ ...base, ACCESSION_HL7_RETRIEVAL_DATE_FIELD: 'ZRT-1' })).toThrow(/ACCESSION_HL7_RETRIEVAL_DATE_FIELD/);
  });
});
