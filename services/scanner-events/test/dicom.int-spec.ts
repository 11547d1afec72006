import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ScanEvent } from '@slidecharge/contracts';
import { asCaller, ReadMessage, TopicReader, testEnv } from '@slidecharge/testing';
import { scanEventIdOf } from '../src/scan-events/scan-normalizer';
import { dicomJson, offsetOfTag, part10File, testUid, WsiInstance, wsiAttributes } from './dicom-fixtures';
import { ScannerApp, startScannerApp } from './scanner-app';

/**
 * POST /dicom/instances on the real Postgres and Kafka: a whole-slide image instance, as an image
 * manager sends it after storing a slide, becomes a scan.completed event on scan.events.v1.
 * DICOM_MAX_BYTES is small here so that the "only the first part is read" path runs too.
 */
const { kafkaBrokers } = testEnv();
const MAX_BYTES = 8192;

let scanner: ScannerApp;
let reader: TopicReader;

/** A WSI instance of a fresh slide of a fresh case. */
function instance(over: WsiInstance = {}) {
  const run = randomUUID().slice(0, 8).toUpperCase();
  const accessionNumber = `D${run}`;
  const barcode = `${accessionNumber}-A1-1`;
  const attrs: WsiInstance = {
    sopInstanceUid: testUid(),
    seriesInstanceUid: testUid(),
    accessionNumber,
    containerIdentifier: barcode,
    barcodeValue: barcode,
    specimens: [{ identifier: `${accessionNumber}-A`, uid: testUid() }],
    ...over,
  };
  return { attrs, barcode, accessionNumber, attributes: wsiAttributes(attrs) };
}

const postPart10 = (bytes: Buffer, key = scanner.devKey) =>
  request(scanner.app.getHttpServer()).post('/dicom/instances').set('x-api-key', key).set('content-type', 'application/dicom').send(bytes);
const postJson = (body: unknown, key = scanner.devKey) =>
  request(scanner.app.getHttpServer()).post('/dicom/instances').set('x-api-key', key).set('content-type', 'application/dicom+json').send(JSON.stringify(body));

const fromSource = (sourceEventId: string) => (m: ReadMessage) => m.topic === 'scan.events.v1' && (m.value as ScanEvent).data?.sourceEventId === sourceEventId;
const waitForScanEvent = async (sourceEventId: string) => (await reader.waitFor(fromSource(sourceEventId), (l) => l.length >= 1, 30_000))[0] as ReadMessage;

/** Nothing was stored or published for the slide: a later scan of the same slide arrives first. */
async function expectNothingFor(barcode: string) {
  const sentinel = { eventId: `dicom-test-${randomUUID()}`, eventType: 'scan.started', occurredAt: new Date().toISOString(), slideBarcode: barcode, scannerId: 'SENTINEL' };
  await scanner.post('/scan-events').send(sentinel).expect(202);
  await waitForScanEvent(sentinel.eventId);
  const events = reader.messages.filter((m) => m.topic === 'scan.events.v1' && (m.value as ScanEvent).data?.slideBarcode === barcode);
  expect(events.map((m) => (m.value as ScanEvent).data.sourceEventId)).toEqual([sentinel.eventId]);
}

beforeAll(async () => {
  reader = await new TopicReader(kafkaBrokers, ['scan.events.v1']).start();
  scanner = await startScannerApp({ DICOM_MAX_BYTES: String(MAX_BYTES) });
}, 90_000);

afterAll(async () => {
  await scanner?.close();
  await reader?.stop();
});

describe('POST /dicom/instances', () => {
  it("continues the image manager's trace (traceparent): the answer, the receipt and the scan event's record carry its trace id", async () => {
    const { attrs, attributes } = instance();
    const traceId = randomUUID().replace(/-/g, '');
    const res = await postPart10(part10File(attributes, { pixelData: Buffer.alloc(1024, 0x5a) }))
      .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
      .expect(202);
    expect(res.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const eventId = `dicom:${attrs.sopInstanceUid}`;
    const message = await waitForScanEvent(eventId);
    expect(message.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`));
    const receipt = await scanner.get(`/scan-events/${encodeURIComponent(eventId)}`).expect(200);
    expect(receipt.body.traceId).toBe(traceId);
  });

  it('turns a Part 10 file into scan.completed on scan.events.v1 with the slide barcode and accession number', async () => {
    const { attrs, barcode, accessionNumber, attributes } = instance();
    const res = await postPart10(part10File(attributes, { pixelData: Buffer.alloc(1024, 0x5a) })).expect(202);
    const eventId = `dicom:${attrs.sopInstanceUid}`;
    expect(res.body).toEqual({
      eventId,
      status: 'accepted',
      scanId: attrs.seriesInstanceUid,
      scanEventId: scanEventIdOf(eventId),
      slideBarcode: barcode,
      accessionNumber,
      sopInstanceUid: attrs.sopInstanceUid,
      warnings: [],
    });

    const message = await waitForScanEvent(eventId);
    expect(message.key).toBe(barcode);
    expect(ScanEvent.parse(message.value)).toMatchObject({
      eventId: scanEventIdOf(eventId),
      type: 'scan.completed',
      producer: 'scanner-events',
      occurredAt: '2026-11-27T09:14:03.120Z',
      data: {
        scanId: attrs.seriesInstanceUid,
        slideBarcode: barcode,
        accessionNumber,
        scannerId: 'Leica Biosystems GT450-01',
        scannedAt: '2026-11-27T10:14:03.120+01:00',
        purpose: 'diagnostic',
        receivedVia: 'http',
        sourceEventId: eventId,
        image: { imageId: attrs.sopInstanceUid, barcodeRead: true, magnification: 40 },
      },
    });

    const receipt = await scanner.get(`/scan-events/${encodeURIComponent(eventId)}`).expect(200);
    expect(receipt.body).toMatchObject({
      eventId,
      slideBarcode: barcode,
      apiClientId: scanner.devKey.split('_')[1],
      dicom: {
        source: 'part10',
        transferSyntaxUid: '1.2.840.10008.1.2.1',
        sopInstanceUid: attrs.sopInstanceUid,
        containerIdentifier: barcode,
        specimens: [{ identifier: `${accessionNumber}-A`, uid: attrs.specimens?.[0]?.uid }],
        slideBarcodeFrom: 'ContainerIdentifier',
      },
    });
  });

  it('turns DICOM JSON (an array with one instance) into the same kind of event, and a resent instance into a duplicate', async () => {
    const { attrs, barcode, accessionNumber, attributes } = instance({ containerIdentifier: undefined });
    const res = await postJson([dicomJson(attributes)]).expect(202);
    const eventId = `dicom:${attrs.sopInstanceUid}`;
    expect(res.body).toMatchObject({ eventId, status: 'accepted', slideBarcode: barcode, accessionNumber });
    const message = await waitForScanEvent(eventId);
    expect(message.value).toMatchObject({ type: 'scan.completed', data: { slideBarcode: barcode, accessionNumber, image: { imageId: attrs.sopInstanceUid } } });

    // The same instance again, as JSON and as Part 10: duplicates by SOP Instance UID, nothing published.
    const again = await postJson(dicomJson(attributes)).expect(202);
    expect(again.body).toMatchObject({ eventId, status: 'duplicate' });
    const asFile = await postPart10(part10File(attributes)).expect(202);
    expect(asFile.body).toMatchObject({ eventId, status: 'duplicate' });
    const sentinel = { eventId: `dicom-test-${randomUUID()}`, eventType: 'scan.started', occurredAt: new Date().toISOString(), slideBarcode: barcode, scannerId: 'SENTINEL' };
    await scanner.post('/scan-events').send(sentinel).expect(202);
    await waitForScanEvent(sentinel.eventId);
    expect(reader.messages.filter(fromSource(eventId))).toHaveLength(1);
  });

  it('gives the instances of one scan (the pyramid levels of a series) one scan id and one scan event each', async () => {
    const base = instance();
    const level2 = { ...base.attrs, sopInstanceUid: testUid() };
    const a = await postPart10(part10File(base.attributes)).expect(202);
    const b = await postPart10(part10File(wsiAttributes(level2))).expect(202);
    expect(a.body.scanId).toBe(b.body.scanId);
    expect(b.body.status).toBe('accepted');
    const scans = await scanner.get(`/slides/${base.barcode}/scans`).expect(200);
    expect(scans.body.receipts).toHaveLength(2);
  });

  it('reads only the first part of a long file and says so', async () => {
    const { attrs, attributes } = instance({ iccProfile: Buffer.alloc(3000, 1) });
    const file = part10File(attributes, { pixelData: Buffer.alloc(200_000, 0x11) });
    expect(offsetOfTag(file, '7FE00010')).toBeLessThan(MAX_BYTES);
    const res = await postPart10(file).expect(202);
    expect(res.body.status).toBe('accepted');
    expect(res.body.warnings).toEqual([`only the first ${MAX_BYTES} of ${file.length} bytes were read (DICOM_MAX_BYTES); send the file up to the pixel data`]);
    await waitForScanEvent(`dicom:${attrs.sopInstanceUid}`);
  });

  it('takes a header cut inside a large element when what it needs came before, with a warning', async () => {
    const { attrs, attributes } = instance({ iccProfile: Buffer.alloc(6000, 2) });
    const file = part10File(attributes);
    const res = await postPart10(file.subarray(0, offsetOfTag(file, '00282000') + 500)).expect(202);
    expect(res.body.warnings[0]).toContain('the data set ends or turns unreadable after');
    await waitForScanEvent(`dicom:${attrs.sopInstanceUid}`);
  });

  it('carries the purpose given in the query', async () => {
    const { attrs, attributes } = instance();
    await postJson(dicomJson(attributes)).query({ purpose: 'education' }).expect(202);
    expect((await waitForScanEvent(`dicom:${attrs.sopInstanceUid}`)).value).toMatchObject({ data: { purpose: 'education' } });
    const bad = await postJson(dicomJson(instance().attributes)).query({ purpose: 'fun' }).expect(400);
    expect(bad.body.issues[0].message).toContain('diagnostic');
  });

  it('refuses another SOP class with 422 and the reason, and publishes nothing', async () => {
    const { barcode, attributes } = instance({ sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.2' });
    const res = await postPart10(part10File(attributes)).expect(422);
    expect(res.body).toEqual({
      error: 'unsupported_sop_class',
      message:
        'SOP Class 1.2.840.10008.5.1.4.1.1.77.1.2 (VL Microscopic Image Storage) is not VL Whole Slide Microscopy Image Storage (1.2.840.10008.5.1.4.1.1.77.1.6); only whole-slide images make scan events',
      issues: [{ path: 'SOPClassUID (0008,0016)', message: 'must be 1.2.840.10008.5.1.4.1.1.77.1.6' }],
    });
    await postJson(dicomJson(attributes)).expect(422);
    await expectNothingFor(barcode);
  });

  it('refuses an instance with no slide barcode with 422 naming the attributes', async () => {
    const { attributes } = instance({ containerIdentifier: undefined, barcodeValue: undefined });
    const res = await postJson(dicomJson(attributes)).expect(422);
    expect(res.body.error).toBe('missing_attributes');
    expect(res.body.issues[0].path).toBe('ContainerIdentifier (0040,0512) or BarcodeValue (0022,1061)');
  });

  it('answers 400 invalid_dicom for garbage, a file cut in its header, and JSON that is not DICOM', async () => {
    const garbage = await postPart10(Buffer.from('GIF89a this is not a DICOM file'.padEnd(400, '.'))).expect(400);
    expect(garbage.body).toEqual({ error: 'invalid_dicom', message: 'not a DICOM Part 10 file: no "DICM" after the 128-byte preamble (send the file as stored, preamble included)' });
    const empty = await postPart10(Buffer.alloc(0)).expect(400);
    expect(empty.body.message).toContain('too short for DICOM Part 10');

    const { barcode, attributes } = instance();
    const file = part10File(attributes);
    const cutInMeta = await postPart10(file.subarray(0, offsetOfTag(file, '00020010') + 12)).expect(400);
    expect(cutInMeta.body.error).toBe('invalid_dicom');
    const metaEnd = offsetOfTag(file, '00080005');
    const junkAfterMeta = await postPart10(Buffer.concat([file.subarray(0, metaEnd), Buffer.from('junk '.repeat(40))])).expect(400);
    expect(junkAfterMeta.body.message).toMatch(/the data set ends or turns unreadable after \d+ bytes .*, and the whole-slide image cannot be tied to a slide/);

    const notJson = await request(scanner.app.getHttpServer()).post('/dicom/instances').set('x-api-key', scanner.devKey).set('content-type', 'application/dicom+json').send('{"00080016":').expect(400);
    expect(notJson.body.message).toContain('the body is not JSON');
    const notDicom = await postJson({ eventId: 'x', slideBarcode: barcode }).expect(400);
    expect(notDicom.body.message).toContain('not DICOM JSON');
    await expectNothingFor(barcode);
  });

  it('answers 415 for another Content-Type and 413 for DICOM JSON over DICOM_MAX_BYTES', async () => {
    const { attributes } = instance();
    const wrong = await scanner.post('/dicom/instances').send(dicomJson(attributes)).expect(415);
    expect(wrong.body.error).toBe('unsupported_media_type');
    expect(wrong.body.message).toContain('"application/json" is not taken here');
    const big = { ...dicomJson(attributes), '00204000': { vr: 'LT', Value: ['x'.repeat(MAX_BYTES)] } };
    const tooBig = await postJson(big).expect(413);
    expect(tooBig.body.error).toBe('payload_too_large');
  });

  it('needs a key with dicom:write', async () => {
    const { barcode, attributes } = instance();
    const none = await request(scanner.app.getHttpServer()).post('/dicom/instances').set('content-type', 'application/dicom').send(part10File(attributes)).expect(401);
    expect(none.body.error).toBe('unauthorized');
    const admin = asCaller(scanner.app.getHttpServer(), 'integration-admin').post('/api-keys');
    const writer = await admin.send({ name: 'middleware without DICOM', scopes: ['scan-events:write'] }).expect(201);
    const res = await postPart10(part10File(attributes), writer.body.apiKey).expect(403);
    expect(res.body.message).toContain('does not have scope dicom:write');
    await expectNothingFor(barcode);
  });

  it('honours Idempotency-Key: the same file replays the first answer, another file under the key is refused', async () => {
    const key = randomUUID();
    const { attributes } = instance();
    const file = part10File(attributes);
    const first = await postPart10(file).set('idempotency-key', key).expect(202);
    const replay = await postPart10(file).set('idempotency-key', key).expect(202);
    expect(replay.body).toEqual(first.body);
    expect(replay.body.status).toBe('accepted');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await postPart10(part10File(instance().attributes)).set('idempotency-key', key).expect(422);
    expect(other.body.error).toBe('idempotency_key_reused');
  });
});
