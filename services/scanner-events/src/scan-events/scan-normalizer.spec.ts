import { ScanEvent, ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { runWithCorrelation } from '@slidecharge/messaging';
import { scanEventIdOf, scanEventMessage, scanIdOf, toScanFacts, validateBatchElements } from './scan-normalizer';

const event = (over: Record<string, unknown> = {}): ScannerMiddlewareEvent =>
  ScannerMiddlewareEvent.parse({
    eventId: 'm-1',
    eventType: 'scan.completed',
    occurredAt: '2026-11-27T10:00:00+01:00',
    slideBarcode: 'S26-000123-A1-1',
    scannerId: 'GT450-1',
    ...over,
  });

describe('scanIdOf', () => {
  it('prefers scanId, then image.imageId, then the event id', () => {
    expect(scanIdOf(event({ scanId: 'scan-9', image: { imageId: 'img-9' } }))).toBe('scan-9');
    expect(scanIdOf(event({ image: { imageId: 'img-9' } }))).toBe('img-9');
    expect(scanIdOf(event({ image: { focusScore: 0.9 } }))).toBe('m-1');
    expect(scanIdOf(event())).toBe('m-1');
  });
});

describe('toScanFacts', () => {
  it('maps a completed scan with its image and the path it came by', () => {
    const image = { imageId: 'img-1', focusScore: 0.92, tissueCoverage: 0.4, barcodeRead: true };
    expect(toScanFacts(event({ image, purpose: 'consult' }), 'kafka')).toEqual({
      scanId: 'img-1',
      slideBarcode: 'S26-000123-A1-1',
      scannerId: 'GT450-1',
      scannedAt: '2026-11-27T10:00:00+01:00',
      purpose: 'consult',
      receivedVia: 'kafka',
      sourceEventId: 'm-1',
      image,
    });
  });

  it('carries the accession number the sender gave (DICOM), and none when it gave none', () => {
    expect(toScanFacts(event({ accessionNumber: 'S26-000123' }), 'http').accessionNumber).toBe('S26-000123');
    expect(toScanFacts(event(), 'http')).not.toHaveProperty('accessionNumber');
  });

  it('carries the failure reason of a failed scan and defaults the purpose to diagnostic', () => {
    const facts = toScanFacts(event({ eventType: 'scan.failed', failureReason: 'tray jam' }), 'http');
    expect(facts.failureReason).toBe('tray jam');
    expect(facts.purpose).toBe('diagnostic');
    expect(facts).not.toHaveProperty('image');
  });
});

describe('scanEventMessage', () => {
  it('builds a valid scan.events.v1 envelope keyed by slide barcode with the middleware event type', () => {
    const m = scanEventMessage(event({ eventType: 'scan.started' }), 'http');
    expect(m.topic).toBe('scan.events.v1');
    expect(m.key).toBe('S26-000123-A1-1');
    expect(m.value.type).toBe('scan.started');
    expect(m.value.producer).toBe('scanner-events');
    expect(m.value.occurredAt).toBe('2026-11-27T09:00:00.000Z');
    expect(m.headers['x-event-type']).toBe('scan.started');
    expect(ScanEvent.safeParse(m.value).success).toBe(true);
  });

  it('derives the same envelope id for every replay of a middleware event, whatever the path or correlation', () => {
    const first = runWithCorrelation('c-1', () => scanEventMessage(event(), 'http'));
    const replay = runWithCorrelation('c-2', () => scanEventMessage(event(), 'kafka'));
    expect(replay.value.eventId).toBe(first.value.eventId);
    expect(first.value.eventId).toBe(scanEventIdOf('m-1'));
    expect(scanEventMessage(event({ eventId: 'm-2' }), 'http').value.eventId).not.toBe(first.value.eventId);
    expect(first.value.correlationId).toBe('c-1');
  });
});

describe('validateBatchElements', () => {
  it('validates each element on its own and names the field of a bad one', () => {
    const good = { eventId: 'm-1', eventType: 'scan.completed', occurredAt: '2026-11-27T10:00:00Z', slideBarcode: 'S-1-A1', scannerId: 'GT450-1' };
    const results = validateBatchElements([good, { ...good, eventId: 'm-2', occurredAt: 'yesterday' }, 42, { ...good, eventId: 'm-3', eventType: 'scan.failed' }]);
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false]);
    const [, second, third, fourth] = results;
    expect(second).toMatchObject({ index: 1, ok: false, eventId: 'm-2', issues: [{ path: 'occurredAt' }] });
    expect(third).toMatchObject({ index: 2, ok: false, eventId: null });
    expect(fourth).toMatchObject({ index: 3, ok: false, eventId: 'm-3', issues: [{ path: 'failureReason' }] });
    expect(results[0]).toMatchObject({ index: 0, ok: true, event: { ...good, purpose: 'diagnostic' } });
  });
});
