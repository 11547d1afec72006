import { randomUUID } from 'node:crypto';
import { QcEvent, ScanImage } from '@slidecharge/contracts';
import { buildEvent } from '@slidecharge/messaging';
import { ReadMessage } from '@slidecharge/testing';
import { RescanItem, RescanPage } from '../src/qc/rescans.dto';
import { GOOD, newBarcode, useQcHarness } from './harness';

/**
 * The rescan work list (GET /qc/rescans) through the HTTP interface with a token from the identity
 * provider, fed by scan events over Kafka: a slide is listed once while its latest verdict failed and
 * leaves when a rescan passes.
 */
const harness = useQcHarness({ name: 'qc-rescans-test', readTopics: ['qc.results.v1'] });
const { http } = harness;

const BLURRED: ScanImage = { ...GOOD, focusScore: 0.2 };

const verdictOf = (scanId: string) => (m: ReadMessage) => m.topic === 'qc.results.v1' && (m.value as QcEvent).data?.scanId === scanId;

/** A completed scan of the slide with these image metrics; resolves with its scanId once QC published its verdict. */
async function scanned(slideBarcode: string, image: ScanImage): Promise<string> {
  const scanId = `rescan-it-${randomUUID()}`;
  const event = buildEvent(
    'scan.events.v1',
    'scan.completed',
    slideBarcode,
    { scanId, slideBarcode, scannerId: 'GT450-1', scannedAt: new Date().toISOString(), purpose: 'diagnostic', receivedVia: 'kafka', sourceEventId: `mw-${randomUUID()}`, image },
    { producer: 'scanner-events' },
  );
  await harness.bus.publish([event]);
  await harness.reader.waitFor(verdictOf(scanId), (l) => l.length >= 1);
  return scanId;
}

/** Every page of the work list, following nextCursor, limit per page. */
async function allPages(limit: number): Promise<{ pages: RescanPage[]; items: RescanItem[] }> {
  const pages: RescanPage[] = [];
  let cursor: string | null = null;
  do {
    const page = (await http().get(`/qc/rescans?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`).expect(200)).body as RescanPage;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 1000);
  return { pages, items: pages.flatMap((p) => p.items) };
}

describe('GET /qc/rescans', () => {
  it('lists a failed slide once, with its latest failure; a passing rescan takes it off', async () => {
    const slide = newBarcode();
    const first = await scanned(slide, BLURRED);
    const second = await scanned(slide, BLURRED);
    const before = await http().get('/qc/rescans?limit=200').expect(200);
    const listed = (before.body as RescanPage).items.filter((i) => i.slideBarcode === slide);
    expect(listed).toEqual([expect.objectContaining({ slideBarcode: slide, scanId: second, failedAttempts: 2 })]);
    expect(listed[0]?.reasons.join(' ')).toContain('focus');
    expect(Date.parse(listed[0]?.firstFailedAt ?? '')).toBeLessThanOrEqual(Date.parse(listed[0]?.failedAt ?? ''));
    expect(first).not.toBe(second);

    await scanned(slide, GOOD);
    const after = await allPages(200);
    expect(after.items.map((i) => i.slideBarcode)).not.toContain(slide);
    // The failed verdicts stay on record: GET /qc/results?passed=false still has them.
    const failed = await http().get('/qc/results?passed=false&limit=200').expect(200);
    expect(failed.body.items.map((v: { scanId: string }) => v.scanId)).toEqual(expect.arrayContaining([first, second]));
  });

  it('a slide that passed, then failed a later scan, is back on the list with the failures since the pass', async () => {
    const slide = newBarcode();
    await scanned(slide, BLURRED);
    await scanned(slide, GOOD);
    const latest = await scanned(slide, BLURRED);
    const res = await http().get('/qc/rescans?limit=200').expect(200);
    expect((res.body as RescanPage).items.filter((i) => i.slideBarcode === slide)).toEqual([expect.objectContaining({ scanId: latest, failedAttempts: 1 })]);
  });

  it('pages one slide at a time, latest failure first, with an opaque cursor', async () => {
    const older = newBarcode();
    const newer = newBarcode();
    await scanned(older, BLURRED);
    await scanned(newer, BLURRED);
    const first = await http().get('/qc/rescans?limit=1').expect(200);
    expect((first.body as RescanPage).items.map((i) => i.slideBarcode)).toEqual([newer]);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await http().get(`/qc/rescans?limit=1&cursor=${first.body.nextCursor}`).expect(200);
    expect((second.body as RescanPage).items.map((i) => i.slideBarcode)).toEqual([older]);
    const { items } = await allPages(50);
    expect(new Set(items.map((i) => i.slideBarcode)).size).toBe(items.length);
  });

  it('answers 400 naming a bad limit or cursor', async () => {
    const limit = await http().get('/qc/rescans?limit=0').expect(400);
    expect(limit.body.issues[0].path).toBe('limit');
    const cursor = await http().get('/qc/rescans?cursor=nope').expect(400);
    expect(cursor.body.issues[0].path).toBe('cursor');
  });
});
