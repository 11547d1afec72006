import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Producer } from 'kafkajs';
import type { Hl7Message } from '@medplum/core';
import { Hl7Connection, Hl7MessageEvent, Hl7Server } from '@medplum/hl7';
import type { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { builtEntryPoint, dftTestSettings, eventually, freePort, isoDaysAgo, principalKafkaConnection, ServiceName, ServiceProcess, testEnv, testKafka, tokenFor } from '@slidecharge/testing';
import type { Locator } from 'playwright-core';
import { launchChromium, screenshot, signIn, type BrowserSession, type ConsolePerson } from './browser';

/**
 * The ops console as its users see it: the four services and services/ops-console (serving the built
 * front end, dist/services/ops-console-web) as processes, the real Kafka, Postgres and identity
 * provider, and Debian's chromium. People sign in through Keycloak's login form; the console's
 * client for tests is test-ops-console (any port of 127.0.0.1). Screenshots go to tmp/screenshots
 * (SCREENSHOT_DIR=docs/screenshots refreshes the README's).
 */
const { kafkaBrokers } = testEnv();
const SCANNER_API_KEY = 'sck_e2etest01_e2e-development-key-not-a-secret-000';
const COLLECTED = isoDaysAgo(1);
const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `BRW${run}-${++counter}`;

const services = {} as Record<ServiceName, ServiceProcess>;
let consoleUrl: string;
let producer: Producer;
let browser: BrowserSession | undefined;

/**
 * The billing system billing delivers DFT^P03 to: it acknowledges every message (AA) but those of the
 * accessions in `refusing`, which it refuses (AE) until a test takes them out.
 */
const refusing = new Set<string>();
let billingSystem: Hl7Server;

function startBillingSystem(port: number): void {
  billingSystem = new Hl7Server((connection: Hl7Connection) => {
    connection.addEventListener('message', ({ message }: Hl7MessageEvent) => {
      const text = (message as Hl7Message).toString();
      const refused = [...refusing].some((accession) => text.includes(accession));
      connection.send((message as Hl7Message).buildAck({ ackCode: refused ? 'AE' : 'AA' }));
    });
  });
  billingSystem.start(port);
}

beforeAll(async () => {
  const server = builtEntryPoint('ops-console' as ServiceName);
  if (!existsSync(server)) throw new Error(`no ${server}: this spec needs the console's server (npx nx run ops-console:build) and its front end (npx nx run ops-console-web:build)`);
  const dftPort = await freePort();
  startBillingSystem(dftPort);
  const env = { KAFKA_BROKERS: kafkaBrokers, LOG_LEVEL: 'info', SCANNER_DEV_API_KEY: SCANNER_API_KEY, ACCESSION_MLLP_PORT: '0' };
  // billing delivers each charge as DFT^P03 to the billing system above; one refusal fails a delivery (until a person retries it).
  const dft = dftTestSettings(dftPort, { BILLING_DFT_MAX_ATTEMPTS: '1' });
  const names: ServiceName[] = ['accession', 'scanner-events', 'qc', 'billing'];
  const ports = await Promise.all(names.map(() => freePort()));
  await Promise.all(
    names.map(async (name, i) => (services[name] = await new ServiceProcess(name, ports[i] as number, name === 'billing' ? { ...env, ...dft } : env, 'browser-logs').start())),
  );
  const opsConsole = await new ServiceProcess('ops-console' as ServiceName, await freePort(), {
    ...env,
    ACCESSION_URL: services.accession.url,
    SCANNER_EVENTS_URL: services['scanner-events'].url,
    QC_URL: services.qc.url,
    BILLING_URL: services.billing.url,
    OPS_CONSOLE_CLIENT_ID: 'test-ops-console',
    OPS_CONSOLE_WEB_ROOT: 'dist/services/ops-console-web',
    LAB_TIME_ZONE: 'America/Chicago',
    LAB_NAME: 'Browser test lab',
  }, 'browser-logs').start();
  services['ops-console' as ServiceName] = opsConsole;
  consoleUrl = opsConsole.url;
  producer = testKafka('browser-middleware', principalKafkaConnection('scanner-middleware')).producer();
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await producer?.disconnect();
  // The console first (its live streams end), then the four.
  await services['ops-console' as ServiceName]?.stop();
  await Promise.all((['accession', 'scanner-events', 'qc', 'billing'] as const).map((name) => services[name]?.stop()));
  await billingSystem?.stop({ forceDrainTimeoutMs: 1000 });
}, 60_000);

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

async function open(role: ConsolePerson, path = '/', viewport?: { width: number; height: number }): Promise<BrowserSession> {
  browser = await launchChromium(viewport);
  await signIn(browser.page, consoleUrl, role, path);
  return browser;
}

// ---- what the LIS and the scanner middleware do ----

async function send(method: string, url: string, body: unknown, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await res.text();
  return res.status;
}

const barcode = (accession: string, slide: number) => `${accession}-A1-${slide}`;

/** The patient of every case here: a name that must never reach the wall screen. */
const PATIENT = { familyName: 'WALLCANARY', givenName: 'JANE', birthDate: '1961-07-04', administrativeSex: 'F', identifierAuthority: 'UNIVHOSP' };

/** A case as the LIS sends it, with what a DFT^P03 needs (patient name, payer plan). */
async function postCase(accessionNumber: string, payer = { payerId: 'AETNA', name: 'Aetna', plan: 'AETNA-PPO' }): Promise<void> {
  const body = {
    accessionNumber,
    // PID-3.1 of the DFT^P03 allows 15 characters: MRN- and the accession's run and number.
    patientId: `MRN-${accessionNumber.slice(3, 9)}${accessionNumber.split('-')[1]}`,
    patient: PATIENT,
    payer,
    collectionDate: COLLECTED,
    diagnoses: ['C50.911'],
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: barcode(accessionNumber, 1), specimenId: 'A' }],
  };
  expect(await send('POST', `${services.accession.url}/cases`, body, { authorization: `Bearer ${await tokenFor('lis-integration')}` })).toBe(201);
}

function scanCompleted(slideBarcode: string): ScannerMiddlewareEvent {
  const scanId = randomUUID();
  return {
    eventId: randomUUID(),
    eventType: 'scan.completed',
    occurredAt: new Date().toISOString(),
    slideBarcode,
    scannerId: 'GT450-01',
    scanId,
    purpose: 'diagnostic',
    image: { focusScore: 0.93, tissueCoverage: 0.41, fileSizeBytes: 1_800_000_000, barcodeRead: true, stitchingErrors: 0, imageId: scanId, imageUri: `wsi://store/${scanId}.svs` },
  };
}

async function scanSlide(slideBarcode: string): Promise<void> {
  expect(await send('POST', `${services['scanner-events'].url}/scan-events`, scanCompleted(slideBarcode), { 'x-api-key': SCANNER_API_KEY })).toBe(202);
}

const scan = (accession: string) => scanSlide(barcode(accession, 1));

/** billing's own API, read as an ops viewer (what the console's action changed, seen at its owner). */
async function billingApi(path: string): Promise<{ items?: unknown[] }> {
  const res = await fetch(`${services.billing.url}${path}`, { headers: { authorization: `Bearer ${await tokenFor('ops-viewer')}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { items?: unknown[] };
}

/** A Medicare case, scanned: billing holds its charge for review (payer policy). */
async function heldCharge(): Promise<string> {
  const accession = newAccession();
  await postCase(accession, { payerId: 'MEDICARE', name: 'Medicare Part B', plan: 'MEDICARE-B' });
  await scan(accession);
  return accession;
}

/** A scan event that fails the schema on the ingress topic: scanner-events sets it aside as a dead letter. */
async function deadLetter(): Promise<void> {
  const bad = { ...scanCompleted(barcode(newAccession(), 1)), occurredAt: 'last tuesday' };
  await producer.send({ topic: 'scanner.ingress.v1', messages: [{ key: bad.slideBarcode, value: JSON.stringify(bad) }] });
}

const text = async (s: BrowserSession, selector: string) => (await s.page.locator(selector).first().textContent()) ?? '';

/** Reloads the view until `target` shows: each round waits for the list (or its empty or error state) first. */
async function reloadUntil(s: BrowserSession, target: Locator, what: string): Promise<void> {
  await eventually(
    async () => {
      await s.page.locator('main table, main .empty, main [role="alert"]').first().waitFor({ timeout: 15_000 });
      if ((await target.count()) > 0) return true;
      await s.page.reload();
      return undefined;
    },
    60_000,
    what,
  );
}

// ---- the tests ----

it('an ops viewer sees the review queue and the dead letters but no button that acts', async () => {
  const accession = await heldCharge();
  await deadLetter();
  const s = await open('ops-viewer', '/review');
  await reloadUntil(s, s.page.locator('[data-testid="review-table"] tr', { hasText: accession }), 'the held charge in the queue');
  await expect(s.page.getByRole('button', { name: 'Release' }).count()).resolves.toBe(0);
  await expect(s.page.getByRole('button', { name: 'Void' }).count()).resolves.toBe(0);
  await s.page.getByRole('link', { name: 'Dead letters' }).click();
  await s.page.locator('main h1', { hasText: 'Dead letters' }).waitFor();
  await reloadUntil(s, s.page.locator('[data-testid="dead-letter-table"] tbody tr'), 'a dead letter listed');
  await expect(s.page.getByRole('button', { name: 'Replay' }).count()).resolves.toBe(0);
  await screenshot(s.page, 'review-queue-ops-viewer');
});

it('a billing reviewer releases a held charge with a justification: the result is shown and the row leaves the queue', async () => {
  const accession = await heldCharge();
  const s = await open('billing-reviewer', '/review');
  const row = s.page.locator('tr', { hasText: accession });
  await reloadUntil(s, row, 'the held charge in the queue');
  await screenshot(s.page, 'review-queue');
  await row.getByRole('button', { name: 'Release' }).click();
  const dialog = s.page.getByRole('dialog', { name: 'Release the held charge' });
  await dialog.getByLabel(/Justification/).fill('MAC confirmed medical necessity by phone, ref 1234');
  await dialog.getByRole('button', { name: 'Release charge' }).click();
  await s.page.getByRole('status').filter({ hasText: `of ${accession} is now posted` }).waitFor();
  await row.waitFor({ state: 'detached' });
});

it('a billing reviewer dismisses an unmatched scan with a justification: it leaves the open list', async () => {
  const slide = barcode(newAccession(), 1);
  await scanSlide(slide);
  const s = await open('billing-reviewer', '/unmatched');
  const row = s.page.locator('tr', { hasText: slide });
  await reloadUntil(s, row, 'the unmatched scan in the open list');
  await row.getByRole('button', { name: 'Dismiss' }).click();
  const dialog = s.page.getByRole('dialog', { name: 'Dismiss the unmatched scan' });
  await dialog.getByLabel(/Justification/).fill('test slide of the scanner service engineer, no patient');
  await dialog.getByRole('button', { name: 'Dismiss scan' }).click();
  await s.page.getByRole('status').filter({ hasText: `Scan of ${slide} dismissed.` }).waitFor();
  await row.waitFor({ state: 'detached' });
  const dismissed = await billingApi(`/unmatched-scans?state=dismissed&limit=500`);
  const item = (dismissed.items as Array<{ slideBarcode: string; dismissal?: { by: string; reason: string } }>).find((i) => i.slideBarcode === slide);
  expect(item?.dismissal?.reason).toBe('test slide of the scanner service engineer, no patient');
});

it('a billing admin retries a delivery the billing system refused: it goes out again and is acknowledged', async () => {
  const accession = newAccession();
  refusing.add(accession);
  await postCase(accession);
  await scan(accession);
  // The list filtered by the accession, as a link would open it (the filter is in the address).
  const s = await open('billing-admin', `/deliveries?accession=${accession}`);
  const row = s.page.locator('tr', { hasText: accession });
  await reloadUntil(s, row, 'the refused delivery in the failed list');
  await expect(s.page.getByLabel('Accession').inputValue()).resolves.toBe(accession);
  // The billing system takes it now; the admin sends it again.
  refusing.delete(accession);
  await row.getByRole('button', { name: 'Retry' }).click();
  const dialog = s.page.getByRole('dialog', { name: 'Send the delivery again' });
  await dialog.getByLabel(/Justification/).fill('billing system fixed the department table, ticket 5521');
  await dialog.getByRole('button', { name: 'Retry delivery' }).click();
  await s.page.getByRole('status').filter({ hasText: /is queued again\./ }).waitFor();
  await eventually(
    async () => ((await billingApi(`/deliveries?accession=${accession}`)).items as Array<{ state: string }>).every((d) => d.state === 'acked') || undefined,
    60_000,
    `the delivery of ${accession} acknowledged after the retry`,
  );
});

it('an integration admin inspects a dead letter and replays it, and sees the outcome', async () => {
  await deadLetter();
  const s = await open('integration-admin', '/dead-letter-queue?service=scanner-events');
  const table = s.page.locator('[data-testid="dead-letter-table"]');
  await reloadUntil(s, table.locator('tbody tr', { hasText: 'scanner-events' }), 'a dead letter of scanner-events listed');
  await screenshot(s.page, 'dead-letters');
  const row = table.locator('tbody tr', { hasText: 'scanner-events' }).first();
  await row.getByRole('button', { name: 'Inspect' }).click();
  const details = s.page.getByRole('dialog', { name: /Dead letter/ });
  // The dialog opens at once and then loads the original: wait for it, not for a fixed time.
  await details.getByText('scanner.ingress.v1').first().waitFor({ timeout: 15_000 });
  await s.page.keyboard.press('Escape');
  await row.getByRole('button', { name: 'Replay' }).click();
  const dialog = s.page.getByRole('dialog', { name: 'Replay the dead letter' });
  await dialog.getByLabel(/Justification/).fill('browser test: the middleware fixed the date format');
  await dialog.getByRole('button', { name: 'Replay' }).click();
  // The outcome is a status notice (an icon, then the words): consumed, failed again with the reason
  // (this dead letter's stored bytes still break the contract), or replayed already by an earlier run.
  await s.page
    .getByRole('status')
    .filter({ hasText: /Replayed: the service took the message this time\.|Replayed, and it failed again: .+|It had been replayed already/ })
    .waitFor({ timeout: 30_000 });
});

it('a case charged while the overview is open: the activity feed, Charges today and the lag chart change without a reload', async () => {
  const s = await open('ops-viewer', '/');
  await s.page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
  const card = s.page.getByTestId('metric-charges.today');
  await eventually(async () => ((await card.textContent()) !== '—' ? true : undefined), 30_000, 'the first overview');
  const before = Number((await card.textContent())?.replace(/,/g, ''));
  // The chart is a sliding hour: its total can fall while old buckets leave it, so compare bucket by bucket.
  const chartBuckets = async () =>
    new Map(((await s.page.getByTestId('lag-chart').getAttribute('data-buckets')) ?? '').split(' ').filter(Boolean).map((b) => b.split('=') as [string, string]).map(([at, n]) => [at, Number(n)]));
  const chartBefore = await chartBuckets();
  const accession = newAccession();
  await postCase(accession);
  await scan(accession);
  await s.page.getByTestId('activity-feed').locator('li', { hasText: accession }).waitFor({ timeout: 60_000 });
  await eventually(async () => (Number((await card.textContent())?.replace(/,/g, '')) > before ? true : undefined), 60_000, 'Charges today to count the charge');
  await eventually(
    async () => ([...(await chartBuckets())].some(([at, n]) => n > (chartBefore.get(at) ?? 0)) ? true : undefined),
    60_000,
    'the lag chart to take the charge (a bucket that grew or a new one)',
  );
  await screenshot(s.page, 'overview');

  await s.page.getByRole('link', { name: accession }).click();
  await s.page.getByTestId('timeline').waitFor({ timeout: 30_000 });
  await expect(text(s, '[data-testid="timeline"]')).resolves.toMatch(/Charge/);
  await screenshot(s.page, 'case-timeline');
});

it('deliveries, unmatched scans and health open with their lists or say why they are empty', async () => {
  const s = await open('billing-admin', '/deliveries');
  await s.page.locator('main h1', { hasText: 'Deliveries' }).waitFor();
  await s.page.locator('[data-testid="delivery-table"], .empty, [role="alert"]').first().waitFor({ timeout: 30_000 });
  await screenshot(s.page, 'deliveries');
  await s.page.getByRole('link', { name: 'Unmatched scans' }).click();
  await s.page.locator('#rescans-title').waitFor();
  await screenshot(s.page, 'unmatched-scans');
  await s.page.getByRole('link', { name: 'Health' }).click();
  await s.page.locator('main table').first().waitFor();
  await screenshot(s.page, 'health');
});

it('the wall screen shows the wall numbers and the lag chart, and no accession number, patient or person, at 1080p and 4K', async () => {
  const accession = newAccession();
  await postCase(accession);
  await scan(accession);
  for (const [name, viewport] of [
    ['wall', { width: 1920, height: 1080 }],
    ['wall-4k', { width: 3840, height: 2160 }],
  ] as const) {
    const s = await open('ops-viewer', '/wall', viewport);
    await s.page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
    await eventually(async () => ((await s.page.getByTestId('metric-charges.today').textContent()) !== '—' ? true : undefined), 30_000, 'the wall numbers');
    await expect(s.page.locator('nav').count()).resolves.toBe(0);
    await expect(s.page.locator('[data-testid="activity-feed"]').count()).resolves.toBe(0);
    const body = (await s.page.locator('body').textContent()) ?? '';
    expect(body).not.toContain(`BRW${run}`);
    expect(body).not.toMatch(/MRN-/);
    expect(body).not.toContain(PATIENT.familyName);
    expect(body).not.toContain('ops-viewer');
    await screenshot(s.page, name, false);
    await s.close();
    browser = undefined;
  }
});
