import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_TOPIC, DeadLetter, DeadLetterDetail, DeadLetterPage, DeadLetterReplayResult, QcEvent, ScanImage } from '@slidecharge/contracts';
import { buildEvent } from '@slidecharge/messaging';
import { DEFAULT_QC_RULES } from '@slidecharge/qc-rules';
import { asCaller, eventually, ReadMessage, testKafka } from '@slidecharge/testing';
import { PrismaService } from '../src/prisma.service';
import { QcResultPage, QcResultView } from '../src/qc/qc.dto';
import { GOOD, newBarcode, useQcHarness } from './harness';

/**
 * The qc service against the real broker and database: scan events in on scan.events.v1, verdicts out
 * on qc.results.v1 through the outbox, the HTTP routes and readiness. Topics are shared with other
 * suites, so every test uses its own ids and filters by them.
 */
const harness = useQcHarness({ name: 'qc-test', readTopics: ['qc.results.v1', DEAD_LETTER_TOPIC] });
const { http } = harness;

type ScanType = 'scan.started' | 'scan.completed' | 'scan.failed';

function scanEvent(type: ScanType, scan: { scanId: string; slideBarcode: string; image?: ScanImage; scannerId?: string }, correlationId?: string) {
  return buildEvent(
    'scan.events.v1',
    type,
    scan.slideBarcode,
    {
      scanId: scan.scanId,
      slideBarcode: scan.slideBarcode,
      scannerId: scan.scannerId ?? 'GT450-1',
      scannedAt: new Date().toISOString(),
      purpose: 'diagnostic',
      receivedVia: 'kafka',
      sourceEventId: `mw-${randomUUID()}`,
      ...(scan.image ? { image: scan.image } : {}),
      ...(type === 'scan.failed' ? { failureReason: 'tray jammed' } : {}),
    },
    { producer: 'scanner-events', ...(correlationId ? { correlationId } : {}) },
  );
}

const verdictsFor = (scanId: string) => (m: ReadMessage) => m.topic === 'qc.results.v1' && (m.value as QcEvent).data?.scanId === scanId;

/**
 * Publishes a good completed scan on the same slide (so the same partition, behind the events under
 * test) and waits for its verdict: afterwards qc has handled everything published before it.
 */
async function barrier(slideBarcode: string): Promise<void> {
  const scanId = `barrier-${randomUUID()}`;
  await harness.bus.publish([scanEvent('scan.completed', { scanId, slideBarcode, image: GOOD })]);
  await harness.reader.waitFor(verdictsFor(scanId), (l) => l.length >= 1);
}

describe('scan.completed -> verdict on qc.results.v1', () => {
  it('publishes qc.passed with every check for good metrics, keyed by slide, in the scan event correlation', async () => {
    const scan = { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), image: GOOD };
    const correlationId = `corr-${randomUUID()}`;
    const input = scanEvent('scan.completed', scan, correlationId);
    await harness.bus.publish([input]);

    const [message] = await harness.reader.waitFor(verdictsFor(scan.scanId), (l) => l.length >= 1);
    const event = message?.value as QcEvent;
    expect(event.type).toBe('qc.passed');
    expect(event.producer).toBe('qc');
    expect(event.correlationId).toBe(correlationId);
    expect(message?.key).toBe(scan.slideBarcode);
    expect(message?.headers['x-event-type']).toBe('qc.passed');
    expect(event.data).toMatchObject({ scanId: scan.scanId, slideBarcode: scan.slideBarcode, scanEventId: input.value.eventId, rulesVersion: 'qc-2026.1', reasons: [] });
    expect(event.data.checks.map((c) => [c.rule, c.passed, c.value])).toEqual([
      ['focus', true, 0.92],
      ['tissue', true, 0.4],
      ['file-size', true, 1_500_000_000],
      ['barcode', true, true],
      ['stitching', true, 0],
    ]);

    const res = await http().get(`/qc/results/${scan.scanId}`).expect(200);
    const view = res.body as QcResultView;
    expect(view).toMatchObject({ scanId: scan.scanId, passed: true, scanEventId: input.value.eventId, reasons: [], rulesVersion: 'qc-2026.1' });
    expect(view.checks).toEqual(event.data.checks);
    expect(new Date(view.evaluatedAt).toISOString()).toBe(event.occurredAt);
  });

  it('publishes qc.failed with the reason for poor focus', async () => {
    const scan = { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), image: { ...GOOD, focusScore: 0.42 } };
    await harness.bus.publish([scanEvent('scan.completed', scan)]);

    const [message] = await harness.reader.waitFor(verdictsFor(scan.scanId), (l) => l.length >= 1);
    const event = message?.value as QcEvent;
    expect(event.type).toBe('qc.failed');
    expect(event.data.reasons).toEqual(['focus score 0.42 below 0.70 (out of focus)']);
    expect(event.data.checks.find((c) => c.rule === 'focus')).toMatchObject({ passed: false, value: 0.42, threshold: '>= 0.70' });

    const res = await http().get(`/qc/results/${scan.scanId}`).expect(200);
    expect(res.body).toMatchObject({ passed: false, reasons: ['focus score 0.42 below 0.70 (out of focus)'] });
  });

  it('counts verdicts on /metrics by scanner, verdict and failing rule (none when passed), and judged scans once each', async () => {
    const scannerId = `QCM-${randomUUID().slice(0, 8)}`;
    const scans = [
      { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), scannerId, image: GOOD },
      { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), scannerId, image: { ...GOOD, focusScore: 0.42 } },
      { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), scannerId, image: { ...GOOD, focusScore: 0.42, barcodeRead: false } },
    ];
    await harness.bus.publish(scans.map((scan) => scanEvent('scan.completed', scan)));
    for (const scan of scans) await harness.reader.waitFor(verdictsFor(scan.scanId), (l) => l.length >= 1);
    const series = (text: string) => Object.fromEntries(text.split('\n').filter((l) => l.includes(`scanner="${scannerId}"`)).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
    const counted = await eventually(async () => {
      const found = series((await http().get('/metrics').expect(200)).text);
      return Object.keys(found).length >= 5 ? found : undefined;
    }, 20_000, 'the verdicts to be counted');
    expect(counted).toEqual({
      [`slidecharge_qc_verdicts_total{scanner="${scannerId}",verdict="passed",reason="none"}`]: 1,
      [`slidecharge_qc_verdicts_total{scanner="${scannerId}",verdict="failed",reason="focus"}`]: 2,
      [`slidecharge_qc_verdicts_total{scanner="${scannerId}",verdict="failed",reason="barcode"}`]: 1,
      [`slidecharge_qc_scans_judged_total{scanner="${scannerId}",verdict="passed"}`]: 1,
      [`slidecharge_qc_scans_judged_total{scanner="${scannerId}",verdict="failed"}`]: 2,
    });
  });

  it('publishes one verdict when the same event arrives twice', async () => {
    const scan = { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), image: GOOD };
    const event = scanEvent('scan.completed', scan);
    await harness.bus.publish([event]);
    await harness.bus.publish([event]);
    await barrier(scan.slideBarcode);

    const verdicts = harness.reader.messages.filter(verdictsFor(scan.scanId));
    expect(verdicts).toHaveLength(1);
    const consumed = await harness.app.get(PrismaService).consumedEvent.count({ where: { consumer: harness.group, eventId: event.value.eventId } });
    expect(consumed).toBe(1);
  });

  it('keeps the first verdict when the same scan is reported again under another event id', async () => {
    const scan = { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode(), image: GOOD };
    const first = scanEvent('scan.completed', scan);
    const again = scanEvent('scan.completed', { ...scan, image: { ...GOOD, focusScore: 0.1 } });
    await harness.bus.publish([first]);
    await harness.bus.publish([again]);
    await barrier(scan.slideBarcode);

    const verdicts = harness.reader.messages.filter(verdictsFor(scan.scanId));
    expect(verdicts.map((m) => (m.value as QcEvent).type)).toEqual(['qc.passed']);
    expect((verdicts[0]?.value as QcEvent).data.scanEventId).toBe(first.value.eventId);
    const res = await http().get(`/qc/results/${scan.scanId}`).expect(200);
    expect(res.body).toMatchObject({ passed: true, scanEventId: first.value.eventId });
    // The second event was taken (not left for redelivery), just not judged.
    expect(await harness.app.get(PrismaService).consumedEvent.count({ where: { consumer: harness.group, eventId: again.value.eventId } })).toBe(1);
  });

  it('publishes no verdict for scan.started or scan.failed, and marks them consumed', async () => {
    const scan = { scanId: `scan-${randomUUID()}`, slideBarcode: newBarcode() };
    const started = scanEvent('scan.started', scan);
    const failed = scanEvent('scan.failed', scan);
    await harness.bus.publish([started, failed]);
    await barrier(scan.slideBarcode);

    expect(harness.reader.messages.filter(verdictsFor(scan.scanId))).toHaveLength(0);
    await http().get(`/qc/results/${scan.scanId}`).expect(404);
    const consumed = await harness.app.get(PrismaService).consumedEvent.findMany({
      where: { consumer: harness.group, eventId: { in: [started.value.eventId, failed.value.eventId] } },
    });
    expect(consumed.map((c) => c.topic)).toEqual(['scan.events.v1', 'scan.events.v1']);
  });

  it('dead-letters a message on scan.events.v1 that breaks the contract, with the reason and the field', async () => {
    const marker = randomUUID();
    const bad = { ...scanEvent('scan.completed', { scanId: `scan-${marker}`, slideBarcode: newBarcode(), image: GOOD }).value } as Record<string, unknown>;
    bad['data'] = { ...(bad['data'] as object), slideBarcode: 'has spaces' };
    const producer = testKafka('qc-test-raw').producer();
    await producer.connect();
    await producer.send({ topic: 'scan.events.v1', messages: [{ key: marker, value: JSON.stringify(bad) }] });
    await producer.disconnect();

    const [letter] = await harness.reader.waitFor(
      (m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).consumerGroup === harness.group && (m.value as DeadLetter).source?.key === marker,
      (l) => l.length >= 1,
    );
    const record = letter?.value as DeadLetter;
    expect(record).toMatchObject({ service: 'qc', reason: 'schema-violation', source: { topic: 'scan.events.v1', key: marker } });
    expect(record.errors.map((e) => e.path)).toEqual(['data.slideBarcode']);
    expect(JSON.parse(record.originalValue ?? '{}')).toEqual(bad);
    expect(harness.reader.messages.filter(verdictsFor(`scan-${marker}`))).toHaveLength(0);
  });

  it('shows the dead letter through GET /dead-letters, its original to an interface analyst (audited), and a replay fails again naming the field', async () => {
    const marker = randomUUID();
    const bad = { ...scanEvent('scan.completed', { scanId: `scan-${marker}`, slideBarcode: newBarcode(), image: GOOD }).value } as Record<string, unknown>;
    bad['data'] = { ...(bad['data'] as object), slideBarcode: 'has spaces' };
    const producer = testKafka('qc-test-raw').producer();
    await producer.connect();
    await producer.send({ topic: 'scan.events.v1', messages: [{ key: marker, value: JSON.stringify(bad) }] });
    await producer.disconnect();
    const [letter] = await harness.reader.waitFor(
      (m) => m.topic === DEAD_LETTER_TOPIC && (m.value as DeadLetter).consumerGroup === harness.group && (m.value as DeadLetter).source?.key === marker,
      (l) => l.length >= 1,
    );
    const id = (letter?.value as DeadLetter).deadLetterId;
    const page = (await http().get('/dead-letters?state=open&topic=scan.events.v1&reason=schema-violation&limit=500').expect(200)).body as DeadLetterPage;
    expect(page.items.find((d) => d.id === id)).toMatchObject({ consumerGroup: harness.group, state: 'open', reason: 'schema-violation' });

    const analyst = asCaller(harness.app.getHttpServer(), 'integration-admin');
    const detail = (await analyst.get(`/dead-letters/${id}`).expect(200)).body as DeadLetterDetail;
    expect(detail.original).toMatchObject({ key: marker, valueEncoding: 'utf8' });
    expect(JSON.parse(detail.original.value ?? '{}')).toEqual(bad);
    const audited = await harness.app.get(PrismaService).$queryRawUnsafe<{ username: string; status: number }[]>(
      `SELECT username, status FROM qc.access_audit WHERE route = 'GET /dead-letters/:id' AND params->>'id' = $1`,
      id,
    );
    expect(audited).toEqual([{ username: 'integration-admin', status: 200 }]);

    const replayed = (await analyst.post(`/dead-letters/${id}/replay`).send({ justification: 'is the contract fixed?' }).expect(200)).body as DeadLetterReplayResult;
    expect(replayed).toMatchObject({ outcome: 'failed-again', alreadyReplayed: false, deadLetter: { state: 'replay-failed' } });
    expect(replayed.error).toContain('data.slideBarcode');
    expect(replayed.error).not.toContain('has spaces');
  });
});

describe('HTTP API', () => {

  it('GET /qc/rules answers the rule set in force', async () => {
    const res = await http().get('/qc/rules').expect(200);
    expect(res.body).toEqual({ source: 'default', rules: DEFAULT_QC_RULES });
  });

  it('GET /qc/results/:scanId answers 404 with a message for an unknown scan', async () => {
    const scanId = `never-${randomUUID()}`;
    const res = await http().get(`/qc/results/${scanId}`).expect(404);
    expect(res.body).toEqual({ error: 'not_found', message: `no QC verdict for scan ${scanId}` });
  });

  it('GET /qc/results?passed=false lists failures newest first, page by page, and /slides/:barcode/qc every verdict', async () => {
    const slideBarcode = newBarcode();
    const failedEarlier = { scanId: `scan-${randomUUID()}`, slideBarcode, image: { ...GOOD, stitchingErrors: 3 } };
    const passedScan = { scanId: `scan-${randomUUID()}`, slideBarcode, image: GOOD };
    const failedLater = { scanId: `scan-${randomUUID()}`, slideBarcode, image: { ...GOOD, barcodeRead: false } };
    // One at a time, each verdict out before the next scan: verdicts of one batch share their time, and
    // the order asserted below is by time.
    for (const scan of [failedEarlier, passedScan, failedLater]) {
      await harness.bus.publish([scanEvent('scan.completed', scan)]);
      await harness.reader.waitFor(verdictsFor(scan.scanId), (l) => l.length >= 1);
    }

    // Walk the work list with small pages until both failures are seen (other suites add failures too).
    const seen: QcResultView[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const res = await http()
        .get('/qc/results')
        .query({ passed: 'false', limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      const body = res.body as QcResultPage;
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (!cursor || seen.some((v) => v.scanId === failedEarlier.scanId)) break;
    }
    expect(seen.every((v) => v.passed === false)).toBe(true);
    expect(new Set(seen.map((v) => v.scanId)).size).toBe(seen.length);
    const times = seen.map((v) => v.evaluatedAt);
    expect([...times].sort().reverse()).toEqual(times);
    const mine = seen.filter((v) => v.slideBarcode === slideBarcode);
    expect(mine.map((v) => v.scanId)).toEqual([failedLater.scanId, failedEarlier.scanId]);
    expect(mine[0]?.reasons).toEqual(['barcode not read (label unreadable; slide cannot be matched)']);

    const slide = await http().get(`/slides/${slideBarcode}/qc`).expect(200);
    expect(slide.body.slideBarcode).toBe(slideBarcode);
    expect((slide.body.verdicts as QcResultView[]).map((v) => [v.scanId, v.passed])).toEqual([
      [failedLater.scanId, false],
      [passedScan.scanId, true],
      [failedEarlier.scanId, false],
    ]);
  });

  it('GET /slides/:barcode/qc answers an empty list for a slide without verdicts', async () => {
    const barcode = newBarcode();
    const res = await http().get(`/slides/${barcode}/qc`).expect(200);
    expect(res.body).toEqual({ slideBarcode: barcode, verdicts: [] });
  });

  it.each([
    ['/qc/results?limit=0', 'limit'],
    ['/qc/results?passed=maybe', 'passed'],
    ['/qc/results?cursor=bogus', 'cursor'],
  ])('GET %s answers 400 naming %s', async (url, field) => {
    const res = await http().get(url).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual([field]);
    expect(res.body.message).toContain(`${field}:`);
  });

  it('echoes the caller correlation id', async () => {
    const res = await http().get('/qc/rules').set('x-correlation-id', 'ops-check-1').expect(200);
    expect(res.headers['x-correlation-id']).toBe('ops-check-1');
  });

  it('GET /health/ready answers 200 with every dependency up', async () => {
    const body = await eventually(async () => {
      const res = await http().get('/health/ready');
      return res.status === 200 ? res.body : undefined;
    }, 20_000, 'readiness');
    expect(body.status).toBe('up');
    expect(body.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['postgres', 'up'],
      ['kafka', 'up'],
      ['consumers', 'up'],
      ['outbox-relay', 'up'],
      ['identity-provider', 'up'],
    ]);
    expect(body.checks.find((c: { name: string }) => c.name === 'consumers').groups).toEqual([harness.group]);
  });

  it('GET /health/ready stays 200 with a parked outbox record, and shows it', async () => {
    const prisma = harness.app.get(PrismaService);
    const id = randomUUID();
    await prisma.outboxMessage.create({
      data: { id, topic: 'qc.results.v1', key: 'k', payload: {}, headers: {}, parkedAt: new Date(), lastError: 'MESSAGE_TOO_LARGE: test' },
    });
    try {
      const res = await http().get('/health/ready').expect(200);
      const outbox = res.body.checks.find((c: { name: string }) => c.name === 'outbox-relay');
      expect(outbox).toMatchObject({ status: 'up', parked: expect.any(Number), warning: expect.stringContaining('parked') });
      expect(outbox.parked).toBeGreaterThanOrEqual(1);
    } finally {
      await prisma.outboxMessage.delete({ where: { id } });
    }
  });
});
