import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { estimateCents, parseFeeSchedule } from '@slidecharge/billing-rules';
import type { ChargeActivity, LagSeries, OpsMetricId, OpsOverview } from '@slidecharge/contracts';
import { observedGroupsOf, OPS_METRIC_IDS } from '@slidecharge/contracts';
import { eventually, freePort, groupLagsFromBroker, isoDaysAgo, ServiceName, ServiceProcess, startGroupAtEnd, TestCaller, TopicReader, testEnv, tokenFor } from '@slidecharge/testing';

/**
 * The ops console's server against the four services, each its own process built from dist/, on the
 * real Kafka, Postgres and identity provider: every number of GET /api/overview equals what the owning
 * service's own API says, the live stream carries new charges (never on the wall view), and actions
 * reach the owning service under the caller's token (its 403 comes back as it is).
 *
 * The topics are shared with other test runs, so the projection's numbers are compared through this
 * run's own payer and scanner (breakdown entries nobody else writes); the numbers the console reads
 * from the services are compared whole.
 */
const { kafkaBrokers } = testEnv();
const run = randomUUID().slice(0, 8).toUpperCase();
const PAYER = { payerId: `E2E-${run}`, name: 'E2E payer (default policy: billed)' };
const MEDICARE = { payerId: 'MEDICARE', name: 'Medicare Part B' };
const SCANNER = `E2E-SCN-${run}`;
const SCANNER_API_KEY = 'sck_e2etest01_e2e-development-key-not-a-secret-000';
const COLLECTED = isoDaysAgo(1);
const CONSOLE_GROUP = `ops-console-e2e-${run}`;
const PROJECTED = ['lis.case-events.v1', 'scan.events.v1', 'qc.results.v1', 'billing.charges.v1'];

const services = {} as Record<ServiceName, ServiceProcess>;
let consoleUrl: string;
/** The case events as accession published them (the source of a case's created time). */
let caseEvents: TopicReader;

beforeAll(async () => {
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', SCANNER_DEV_API_KEY: SCANNER_API_KEY, ACCESSION_MLLP_PORT: '0' };
  const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
  const ports = await Promise.all([...names, 'ops-console'].map(() => freePort()));
  await Promise.all(names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, env).start())));
  // The console's read model starts at the end of the shared topics: it projects this run's events.
  await startGroupAtEnd(kafkaBrokers, CONSOLE_GROUP, PROJECTED);
  services['ops-console'] = await new ServiceProcess('ops-console', ports[4] as number, {
    ...env,
    ACCESSION_URL: services.accession.url,
    SCANNER_EVENTS_URL: services['scanner-events'].url,
    QC_URL: services.qc.url,
    BILLING_URL: services.billing.url,
    OPS_CONSOLE_CONSUMER_GROUP: CONSOLE_GROUP,
    OPS_CONSOLE_FEE_SCHEDULE_FILE: 'ops/fee-schedule.example.json',
    OPS_CONSOLE_WEB_ROOT: `tmp/no-web-root-${run}`,
  }).start();
  consoleUrl = services['ops-console'].url;
  caseEvents = await new TopicReader(kafkaBrokers, ['lis.case-events.v1']).start();
}, 180_000);

afterAll(async () => {
  await caseEvents?.stop();
  // The console first (its live streams end), then the four.
  await services['ops-console']?.stop();
  await Promise.all((['accession', 'scanner-events', 'qc', 'billing'] as const).map((name) => services[name]?.stop()));
}, 60_000);

// ---- callers ----

type Json = Record<string, unknown> & { items?: unknown[] };
type Caller = TestCaller | 'scanner-middleware';

async function http(method: string, url: string, caller: Caller, body?: unknown): Promise<{ status: number; body: Json }> {
  const credential: Record<string, string> = caller === 'scanner-middleware' ? { 'x-api-key': SCANNER_API_KEY } : { authorization: `Bearer ${await tokenFor(caller)}` };
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', 'x-correlation-id': `e2e-console-${run}`, ...credential },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

const get = async (url: string, caller: Caller = 'ops-viewer') => {
  const res = await http('GET', url, caller);
  expect(res.status).toBe(200);
  return res.body;
};

// ---- what the LIS and the scanners do ----

let counter = 0;
const newAccession = () => `OPS${run}-${++counter}`;
const barcodeOf = (accession: string, slide = 1) => `${accession}-A1-${slide}`;

async function postCase(accession: string, payer = PAYER, slides = 1): Promise<void> {
  const res = await http('POST', `${services.accession.url}/cases`, 'lis-integration', {
    accessionNumber: accession,
    patientId: `MRN-${accession}`,
    payer,
    collectionDate: COLLECTED,
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: Array.from({ length: slides }, (_, i) => ({ barcode: barcodeOf(accession, i + 1), specimenId: 'A' })),
  });
  expect(res.status).toBe(201);
}

async function cancelCase(accession: string): Promise<void> {
  const res = await http('POST', `${services.accession.url}/cases/${accession}/cancel`, 'lis-integration', { reason: 'e2e: ordered on the wrong patient' });
  expect(res.status).toBe(200);
}

const GOOD = { focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0 };
const BLURRY = { ...GOOD, focusScore: 0.31 };

async function scan(slideBarcode: string, image = GOOD): Promise<string> {
  const scanId = randomUUID();
  const res = await http('POST', `${services['scanner-events'].url}/scan-events`, 'scanner-middleware', {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode,
    scannerId: SCANNER,
    scanId,
    purpose: 'diagnostic',
    image: { ...image, imageId: scanId, imageUri: `wsi://store/${scanId}.svs` },
  });
  expect(res.status).toBe(202);
  return scanId;
}

/** Billing's charges of an accession (its own API). */
async function chargesOf(accession: string): Promise<Array<{ chargeId: string; status: string; postedAt: string }>> {
  return (await get(`${services.billing.url}/charges?accession=${accession}`)).items as Array<{ chargeId: string; status: string; postedAt: string }>;
}

async function chargedOnce(accession: string, status: string): Promise<string> {
  const charges = await eventually(async () => {
    const list = await chargesOf(accession);
    return list.some((c) => c.status === status) ? list : undefined;
  }, 60_000, `a ${status} charge of ${accession}`);
  return (charges.find((c) => c.status === status) as { chargeId: string }).chargeId;
}

/** Billing's credits (GET /charges/{id}) of this run's charges of `payer`, sent at or after `since`. */
async function creditsOf(accessions: string[], since: number): Promise<Array<{ creditId: string; creditedAt: string }>> {
  const charges = (await Promise.all(accessions.map(chargesOf))).flat();
  const views = await Promise.all(charges.map(async (c) => (await get(`${services.billing.url}/charges/${c.chargeId}`))['credit'] as { creditId: string; creditedAt: string } | undefined));
  return views.filter((v): v is { creditId: string; creditedAt: string } => v !== undefined && Date.parse(v.creditedAt) >= since);
}

/**
 * A charge's case -> charge time by the owning sources: billing's postedAt minus the occurredAt of the
 * accession's first case event on lis.case-events.v1 (what accession published when it took the case).
 */
async function caseToChargeOf(accession: string): Promise<{ chargeId: string; seconds: number }> {
  const [charge] = (await get(`${services.billing.url}/charges?accession=${accession}`)).items as Array<{ chargeId: string; postedAt: string }>;
  if (!charge) throw new Error(`no charge of ${accession}`);
  const cases = await caseEvents.waitFor((m) => m.key === accession, (found) => found.length > 0);
  const first = Math.min(...cases.map((m) => Date.parse((m.value as { occurredAt: string }).occurredAt)));
  return { chargeId: charge.chargeId, seconds: (Date.parse(charge.postedAt) - first) / 1000 };
}

/**
 * A charge's scan -> charge lag by the owning services: billing's postedAt minus the latest scan time
 * (the middleware's occurredAt, which scanner-events keeps) of the scans the charge names.
 */
async function scanLagOf(accession: string, slides: number): Promise<{ chargeId: string; postedAt: number; lagSeconds: number }> {
  const [charge] = (await get(`${services.billing.url}/charges?accession=${accession}`)).items as Array<{ chargeId: string; postedAt: string; scanIds: string[] }>;
  if (!charge) throw new Error(`no charge of ${accession}`);
  const receipts = await Promise.all(
    Array.from({ length: slides }, async (_, i) => (await get(`${services['scanner-events'].url}/slides/${barcodeOf(accession, i + 1)}/scans`))['receipts'] as Array<{ scanId: string; eventType: string; occurredAt: string }>),
  );
  const scanned = receipts.flat().filter((r) => r.eventType === 'scan.completed' && charge.scanIds.includes(r.scanId)).map((r) => Date.parse(r.occurredAt));
  expect(scanned).toHaveLength(charge.scanIds.length);
  const postedAt = Date.parse(charge.postedAt);
  return { chargeId: charge.chargeId, postedAt, lagSeconds: (postedAt - Math.max(...scanned)) / 1000 };
}

// ---- the console's numbers ----

const overview = async (caller: TestCaller = 'ops-viewer') => (await get(`${consoleUrl}/api/overview`, caller)) as unknown as OpsOverview;
const entry = (o: OpsOverview, id: OpsMetricId, by: 'payer' | 'scanner', key: string) => o.metrics[id].breakdowns?.[by]?.find((b) => b.key === key)?.value ?? 0;

/** Every item of a paged list of an owning service (items + nextCursor). */
async function allItems(url: string, caller: Caller = 'ops-viewer'): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await get(`${url}${url.includes('?') ? '&' : '?'}${cursor ? `cursor=${encodeURIComponent(cursor)}` : ''}`, caller);
    items.push(...(page.items ?? []));
    cursor = typeof page['nextCursor'] === 'string' && page['nextCursor'] ? page['nextCursor'] : undefined;
  } while (cursor);
  return items;
}

// ---- the live stream ----

/** A GET /api/live stream read as it comes: its raw text and its events. */
class LiveReader {
  text = '';
  events: Array<{ event: string; data: unknown }> = [];
  private readonly abort = new AbortController();

  static async open(url: string, caller: TestCaller): Promise<LiveReader> {
    const reader = new LiveReader();
    const res = await fetch(url, { headers: { authorization: `Bearer ${await tokenFor(caller)}` }, signal: reader.abort.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    void reader.read(res.body as ReadableStream<Uint8Array>);
    return reader;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        this.text += text;
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const frame = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) this.events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  }

  waitFor<T>(what: string, pick: (e: { event: string; data: unknown }) => T | undefined): Promise<T> {
    return eventually(() => this.events.map(pick).find((v) => v !== undefined), 60_000, what);
  }

  close(): void {
    this.abort.abort();
  }
}

// ---- the scenarios: one held charge, a QC failure and its rescan, a credit, one unmatched scan ----

describe('the ops console', () => {
  const posted = newAccession();
  const held = newAccession();
  const failing = newAccession();
  const credited = newAccession();
  const unmatchedBarcode = `NOCASE-${run}-1`;
  /** This run's accessions of PAYER: each charged once (failing after its rescan, credited before its cancel). */
  const payerAccessions = [posted, failing, credited];
  /** This run's slides, each scanned by SCANNER (failing's twice). */
  const slides = [barcodeOf(posted, 1), barcodeOf(posted, 2), barcodeOf(held, 1), barcodeOf(failing, 1), barcodeOf(credited, 1), unmatchedBarcode];
  let heldChargeId: string;

  beforeAll(async () => {
    await postCase(posted, PAYER, 2);
    await postCase(held, MEDICARE);
    await postCase(failing, PAYER);
    await postCase(credited, PAYER);
    await scan(barcodeOf(posted, 1));
    await scan(barcodeOf(posted, 2));
    await scan(barcodeOf(held, 1));
    await scan(barcodeOf(credited, 1));
    const failedScanId = await scan(barcodeOf(failing, 1), BLURRY);
    await scan(unmatchedBarcode);
    await chargedOnce(posted, 'posted');
    heldChargeId = await chargedOnce(held, 'held');
    await chargedOnce(credited, 'posted');
    await cancelCase(credited);
    await chargedOnce(credited, 'credited');
    // The slide that failed QC is scanned again, after its verdict: a rescan, which earns the charge.
    await eventually(async () => ((await http('GET', `${services.qc.url}/qc/results/${failedScanId}`, 'ops-viewer')).status === 200 ? true : undefined), 60_000, 'the QC verdict of the blurry scan');
    await scan(barcodeOf(failing, 1));
    await chargedOnce(failing, 'posted');
    await eventually(async () => ((await allItems(`${services.billing.url}/unmatched-scans?state=open&scannerId=${SCANNER}`)).length === 1 ? true : undefined), 60_000, 'the unmatched scan');
    // The projection has taken this run's charges, credit and scans.
    await eventually(async () => {
      const o = await overview();
      const projected =
        entry(o, 'charges.today', 'payer', PAYER.payerId) === 3 && entry(o, 'credits.today', 'payer', PAYER.payerId) === 1 && entry(o, 'scans.last-hour', 'scanner', SCANNER) === 7;
      return projected ? true : undefined;
    }, 60_000, "the console's projection of this run");
  }, 240_000);

  /** The completed scans of each of this run's slides, as scanner-events' own API lists them. */
  const completedScansBySlide = async () =>
    Promise.all(
      slides.map(async (barcode) => {
        const receipts = (await get(`${services['scanner-events'].url}/slides/${barcode}/scans`))['receipts'] as Array<{ eventType: string; scanId: string }>;
        return receipts.filter((r) => r.eventType === 'scan.completed');
      }),
    );

  it('answers every number of the metric table', async () => {
    const o = await overview();
    expect(Object.keys(o.metrics).sort()).toEqual([...OPS_METRIC_IDS].sort());
    expect(o.labTimeZone).toBe('UTC');
  });

  it("counts this run's charges as billing GET /charges does, and values them with the fee schedule", async () => {
    const o = await overview();
    const billed = (await Promise.all(payerAccessions.map(chargesOf))).flat().filter((c) => c.status === 'posted' || c.status === 'credited');
    expect(billed).toHaveLength(3);
    expect(entry(o, 'charges.today', 'payer', PAYER.payerId)).toBe(billed.length);
    expect(entry(o, 'charges.week', 'payer', PAYER.payerId)).toBe(billed.length);
    expect(entry(o, 'charges.amount.today', 'payer', PAYER.payerId)).toBe(billed.length * 2400);
    expect(entry(o, 'charges.amount.week', 'payer', PAYER.payerId)).toBe(billed.length * 2400);
  });

  it("counts this run's credits as billing's charges carry them", async () => {
    const o = await overview();
    // The lab time zone of this run is UTC: today began at midnight UTC.
    const midnight = new Date(new Date().toISOString().slice(0, 10)).getTime();
    const credits = await creditsOf(payerAccessions, midnight);
    expect(credits).toHaveLength(1);
    expect(entry(o, 'credits.today', 'payer', PAYER.payerId)).toBe(credits.length);
  });

  it("counts this run's rescans as scanner-events' scans of each slide give them", async () => {
    const o = await overview();
    // A rescan is every completed scan of a slide after its first.
    const rescans = (await completedScansBySlide()).reduce((sum, scans) => sum + Math.max(0, scans.length - 1), 0);
    expect(rescans).toBe(1);
    expect(entry(o, 'qc.rescans.24h', 'scanner', SCANNER)).toBe(rescans);
  });

  it("gives each consumer group the lag Kafka's own offsets give", async () => {
    const groups = [...observedGroupsOf('ops-console'), { group: CONSOLE_GROUP, topics: PROJECTED }];
    // Lag moves while anything is published; compare at a moment the broker reads the same before and after the console.
    const { o, broker } = await eventually(async () => {
      const before = await groupLagsFromBroker(kafkaBrokers, groups);
      const reading = await overview();
      const after = await groupLagsFromBroker(kafkaBrokers, groups);
      return JSON.stringify(before) === JSON.stringify(after) ? { o: reading, broker: before } : undefined;
    }, 60_000, 'a quiet moment on the topics');
    const shown = Object.fromEntries((o.metrics['consumer.lag'].breakdowns?.group ?? []).map((b) => [b.key, b.value]));
    expect(shown).toEqual(broker);
    expect(Object.keys(shown).sort()).toEqual(groups.map((g) => g.group).sort());
    expect(o.metrics['consumer.lag'].value).toBe(Object.values(broker).reduce((a, b) => a + b, 0));
  });

  it('reads held charges, unmatched scans, rescans and deliveries as the owning services answer them', async () => {
    const o = await overview();
    const queue = await get(`${services.billing.url}/review-queue?limit=500`);
    expect(o.metrics['held.count'].value).toBe(queue['total']);
    expect(o.metrics['held.count'].value).toBeGreaterThanOrEqual(1);
    expect(o.metrics['scans.unmatched'].value).toBe((await allItems(`${services.billing.url}/unmatched-scans?state=open&limit=1000`)).length);
    expect(o.metrics['slides.awaiting-rescan'].value).toBe((await allItems(`${services.qc.url}/qc/rescans?limit=200`)).length);
    const counts = (await get(`${services.billing.url}/deliveries?limit=1`))['counts'] as Record<string, number>;
    expect(o.metrics['deliveries.failed'].value).toBe(counts['failed'] ?? 0);
    expect(o.metrics['deliveries.pending'].value).toBe((counts['pending'] ?? 0) + (counts['in-flight'] ?? 0));
    const deadLetters = await Promise.all((['scanner-events', 'qc', 'billing'] as const).map(async (name) => (await get(`${services[name].url}/dead-letters?state=open`))['total'] as number));
    expect(o.metrics['dead-letters.open'].value).toBe(deadLetters.reduce((a, b) => a + b, 0));
  });

  it("gives this run's scanner the QC failure rate of qc GET /qc/results and the scan count of scanner-events", async () => {
    const o = await overview();
    const completed = (await completedScansBySlide()).flat();
    expect(entry(o, 'scans.last-hour', 'scanner', SCANNER)).toBe(completed.length);
    const verdicts = await Promise.all(completed.map(async (r) => (await get(`${services.qc.url}/qc/results/${r.scanId}`))['passed'] as boolean));
    expect(entry(o, 'qc.failure-rate.24h', 'scanner', SCANNER)).toBeCloseTo(verdicts.filter((p) => !p).length / verdicts.length, 10);
    expect(verdicts.filter((p) => !p)).toHaveLength(1);
  });

  it("values the review queue with the fee schedule and ages its oldest held charge as billing's GET /review-queue does", async () => {
    const before = Date.now();
    const o = await overview();
    const after = Date.now();
    const queue = await get(`${services.billing.url}/review-queue?limit=500`);
    const items = queue.items as Array<{ code: string; payerId: string; units: number; statusChangedAt: string }>;
    // Both read the same page: billing's oldest 500 held charges (the console says so when there are more).
    const parsed = parseFeeSchedule(JSON.parse(readFileSync('ops/fee-schedule.example.json', 'utf8')));
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    const value = items.reduce((sum, i) => sum + (estimateCents(parsed.schedule, i.code, i.payerId, i.units) ?? 0), 0);
    expect(o.metrics['held.amount'].value).toBe(value);
    expect(value).toBeGreaterThan(0);
    const oldest = Math.min(...items.map((i) => Date.parse(i.statusChangedAt)));
    // The console reads the age at its own "now", between the two instants around the call.
    expect(o.metrics['review.oldest.seconds'].value).toBeGreaterThanOrEqual(Math.floor((before - oldest) / 1000) - 1);
    expect(o.metrics['review.oldest.seconds'].value).toBeLessThanOrEqual(Math.ceil((after - oldest) / 1000) + 1);
  });

  it("puts this run's charge in the lag series at billing's postedAt minus the scanner's scan time", async () => {
    const { postedAt, lagSeconds } = await scanLagOf(posted, 2);
    const series = (await get(`${consoleUrl}/api/charge-lag?measure=scan-to-charge&window=1h`)) as unknown as LagSeries;
    const bucket = series.points.find((p) => Date.parse(p.at) <= postedAt && postedAt < Date.parse(p.at) + series.bucketSeconds * 1000);
    expect(bucket).toBeDefined();
    expect(bucket?.count).toBeGreaterThanOrEqual(1);
    expect(bucket?.max).toBeGreaterThanOrEqual(lagSeconds - 0.001);
    // The overview's percentiles are over every charge the projection holds (other runs' too): this
    // charge bounds their maximum, and they are ordered. Their arithmetic is unit-tested (lag-statistics.spec.ts).
    const o = await overview();
    for (const window of ['1h', '24h'] as const) {
      const [p50, p95, max] = (['p50', 'p95', 'max'] as const).map((p) => o.metrics[`lag.scan-to-charge.${p}.${window}`].value as number);
      expect(max).toBeGreaterThanOrEqual(lagSeconds - 0.001);
      expect(p50).toBeLessThanOrEqual(p95 as number);
      expect(p95).toBeLessThanOrEqual(max as number);
    }
  });

  it("puts this run's charge in the case-to-charge series at billing's postedAt minus the case event's time", async () => {
    const [charge] = await chargesOf(posted);
    const postedAt = Date.parse(charge?.postedAt ?? '');
    const { seconds } = await caseToChargeOf(posted);
    const series = (await get(`${consoleUrl}/api/charge-lag?measure=case-to-charge&window=24h`)) as unknown as LagSeries;
    const bucket = series.points.find((p) => Date.parse(p.at) <= postedAt && postedAt < Date.parse(p.at) + series.bucketSeconds * 1000);
    expect(bucket?.max).toBeGreaterThanOrEqual(seconds - 0.001);
    expect(series.measure).toBe('case-to-charge');
  });

  it('sums the outbox backlog of the readiness probes', async () => {
    const o = await overview();
    const backlogs = await Promise.all(
      (['accession', 'scanner-events', 'qc', 'billing', 'ops-console'] as const).map(async (name) => {
        const body = (await (await fetch(`${services[name].url}/health/ready`)).json()) as { checks: Array<{ backlog?: number }> };
        return body.checks.find((c) => typeof c.backlog === 'number')?.backlog ?? 0;
      }),
    );
    // Quiet now (the scenario has settled): both read the same, and nothing waits.
    expect(o.metrics['outbox.backlog'].value).toBe(backlogs.reduce((a, b) => a + b, 0));
  });

  it('counts the ready services from their own readiness probes', async () => {
    const o = await overview();
    const ready = await Promise.all(Object.values(services).map(async (s) => (await fetch(`${s.url}/health/ready`)).status === 200));
    expect(o.metrics['services.up'].value).toBe(ready.filter(Boolean).length);
    expect(o.metrics['services.up'].value).toBe(5);
    expect(o.metrics['consumer.lag'].unavailable).toBeUndefined();
  });

  it('passes the owning service\'s 403 through when an ops viewer releases a held charge, and releases it for a reviewer', async () => {
    const refused = await http('POST', `${consoleUrl}/api/charges/${heldChargeId}/release`, 'ops-viewer', { justification: 'payer confirmed coverage by phone' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden' });
    expect(String(refused.body['message'])).toMatch(/billing-reviewer/);
    const released = await http('POST', `${consoleUrl}/api/charges/${heldChargeId}/release`, 'billing-reviewer', { justification: 'payer confirmed coverage by phone' });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ chargeId: heldChargeId, status: 'posted' });
  });

  it('streams a new charge as activity and an overview whose charges today moved', async () => {
    const live = await LiveReader.open(`${consoleUrl}/api/live`, 'ops-viewer');
    const wall = await LiveReader.open(`${consoleUrl}/api/live?view=wall`, 'ops-viewer');
    try {
      const first = await live.waitFor('the first overview', (e) => (e.event === 'overview' ? (e.data as OpsOverview) : undefined));
      const before = entry(first, 'charges.today', 'payer', PAYER.payerId);
      const accession = newAccession();
      await postCase(accession, PAYER);
      await scan(barcodeOf(accession, 1));
      const activity = await live.waitFor('the activity of the new charge', (e) => (e.event === 'activity' && (e.data as { accessionNumber: string }).accessionNumber === accession ? e.data : undefined));
      expect(activity).toMatchObject({ kind: 'charge', code: '0753T', payerId: PAYER.payerId });
      // Its lag is the owning services' postedAt - scan time (the scan is projected before its charge here).
      const byServices = await scanLagOf(accession, 1);
      expect(activity).toMatchObject({ chargeId: byServices.chargeId });
      expect((activity as ChargeActivity).lagSeconds).toBeCloseTo(byServices.lagSeconds, 2);
      const caseToCharge = await caseToChargeOf(accession);
      expect((activity as ChargeActivity).caseToChargeSeconds).toBeCloseTo(caseToCharge.seconds, 2);
      await live.waitFor('an overview with the new charge', (e) => (e.event === 'overview' && entry(e.data as OpsOverview, 'charges.today', 'payer', PAYER.payerId) === before + 1 ? true : undefined));
      await wall.waitFor('a wall overview with the new charge', (e) => (e.event === 'overview' && entry(e.data as OpsOverview, 'charges.today', 'payer', PAYER.payerId) === before + 1 ? true : undefined));
      expect(wall.events.some((e) => e.event === 'lag')).toBe(true);
      expect(wall.events.some((e) => e.event === 'activity')).toBe(false);
      expect(wall.text).not.toContain(accession);
      expect(wall.text).not.toContain(`OPS${run}`);
      expect(wall.text).not.toContain('MRN-');
    } finally {
      live.close();
      wall.close();
    }
  });

  it("tells a case's story across the services", async () => {
    const timeline = await get(`${consoleUrl}/api/cases/${failing}/timeline`);
    const kinds = (timeline['entries'] as Array<{ kind: string }>).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['case-version', 'scan', 'qc-verdict', 'decision']));
    expect(timeline['missing']).toEqual([]);
  });

  it('serves its sign-in settings without a credential and says when the web front end is not built', async () => {
    const config = await fetch(`${consoleUrl}/api/config`);
    expect(config.status).toBe(200);
    expect(await config.json()).toMatchObject({ clientId: 'ops-console', scopes: 'openid profile', labTimeZone: 'UTC', feeScheduleConfigured: true });
    const page = await fetch(`${consoleUrl}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/ops-console-web:build/);
    expect((await fetch(`${consoleUrl}/api/overview`)).status).toBe(401);
  });
});
