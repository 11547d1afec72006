import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAsyncApiDocument, CaseDetails, TOPIC_NAMES, validateTopicMessage } from './index';

const caseSnapshot = {
  accessionNumber: 'S26-000123',
  status: 'active',
  version: 1,
  patientId: 'MRN-1',
  payer: { payerId: 'MEDICARE' },
  collectionDate: '2026-11-20',
  diagnoses: ['C50.911'],
  specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
  slides: [{ barcode: 'S26-000123-A1-1', specimenId: 'A' }],
};

const envelopeOf = (type: string, data: unknown) => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  occurredAt: '2026-11-27T10:00:00.000Z',
  producer: 'accession',
  correlationId: 'c-1',
  data,
});

describe('topic contracts', () => {
  it('accepts a valid case event and rejects an unknown event type with a path', () => {
    expect(validateTopicMessage('lis.case-events.v1', envelopeOf('case.created', caseSnapshot)).ok).toBe(true);
    const bad = validateTopicMessage('lis.case-events.v1', envelopeOf('case.deleted', caseSnapshot));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.path).toBe('type');
  });

  it('names the field that is wrong in a scanner middleware event', () => {
    const result = validateTopicMessage('scanner.ingress.v1', {
      eventId: 'm-1',
      eventType: 'scan.completed',
      occurredAt: 'yesterday',
      slideBarcode: 'S26-1-A1',
      scannerId: 'GT450-1',
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(['occurredAt']);
  });

  it('requires a failure reason on scan.failed and defaults purpose to diagnostic', () => {
    const base = { eventId: 'm-2', occurredAt: '2026-11-27T10:00:00Z', slideBarcode: 'S26-1-A1', scannerId: 'GT450-1' };
    const failed = validateTopicMessage('scanner.ingress.v1', { ...base, eventType: 'scan.failed' });
    expect(failed.ok).toBe(false);
    const completed = validateTopicMessage('scanner.ingress.v1', { ...base, eventType: 'scan.completed' });
    expect(completed.ok && completed.value.purpose).toBe('diagnostic');
  });

  it('rejects a case whose slide names a specimen the case does not have', () => {
    const result = CaseDetails.safeParse({
      patientId: 'MRN-1',
      payer: { payerId: 'AETNA' },
      collectionDate: '2026-11-20',
      specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
      slides: [{ barcode: 'X-1', specimenId: 'B' }],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('specimen B');
  });

  it('normalizes ICD-10 codes to upper case and rejects malformed CPT codes', () => {
    const ok = CaseDetails.parse({
      patientId: 'MRN-1',
      payer: { payerId: 'AETNA' },
      collectionDate: '2026-11-20',
      diagnoses: ['c61'],
      specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 2 }],
    });
    expect(ok.diagnoses).toEqual(['C61']);
    expect(CaseDetails.safeParse({ ...ok, specimens: [{ specimenId: 'A', primaryCpt: '8830', units: 1 }] }).success).toBe(false);
  });

  it('keeps docs/asyncapi.json in step with the contracts', () => {
    const version = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')).version as string;
    const committed = JSON.parse(readFileSync(join(__dirname, '../../../docs/asyncapi.json'), 'utf8'));
    expect(committed).toEqual(buildAsyncApiDocument(version));
    expect(Object.values(committed.channels).map((c) => (c as { address: string }).address).sort()).toEqual([...TOPIC_NAMES].sort());
  });
});
