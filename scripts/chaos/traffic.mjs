// The campaign's inputs, sent the way the lab's systems send them and retried the way they retry: the
// LIS (PUT /cases, or an HL7 order over MLLP with the same control id), the scanner middleware (HTTP
// batches and the ingress topic, same event ids) and an image manager (DICOM JSON, same SOP instance
// UID). A send that fails because a service, the broker or Postgres is down is sent again until it is
// taken; idempotency on the receiving side must make the repeats harmless, which the ledger checks.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { bearer, scannerDevKey } from '../lib/identity.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls fn until it resolves; counts the retries in stats.retries[what]. Gives up after timeoutMs. */
export async function retrying(stats, what, fn, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 3000)) {
    try {
      return await fn();
    } catch (error) {
      if (error.fatal || Date.now() > deadline) throw error;
      stats.retries[what] = (stats.retries[what] ?? 0) + 1;
      await sleep(delay);
    }
  }
}

export async function call(method, url, body, headers) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok) {
    const error = new Error(`${method} ${url} -> ${res.status} ${text.slice(0, 300)}`);
    // A 4xx other than 408/429 is the campaign's mistake, not a fault: stop at once.
    error.fatal = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    throw error;
  }
  return text ? JSON.parse(text) : undefined;
}

// ---- cases ----

const PATIENT = { familyName: 'CHAOS', givenName: 'PAT', birthDate: '1958-03-14', administrativeSex: 'M', identifierAuthority: 'CHAOSHOSP' };

function caseBody(ctx, accession, specimens, slides) {
  return {
    patientId: `MRN-${accession}`.slice(0, 15), patient: PATIENT,
    payer: { payerId: 'AETNA', name: 'AETNA', plan: 'AETNA-PPO' },
    collectionDate: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), diagnoses: ['C61'],
    specimens: specimens.map((s) => ({ specimenId: s, primaryCpt: '88305', units: 1 })),
    slides: specimens.flatMap((s) => Array.from({ length: slides }, (_, n) => ({ barcode: `${accession}-${s}1-${n + 1}`, specimenId: s }))),
  };
}

/** PUT /cases/{accession} as the LIS integration: the same body again changes nothing (200). */
export async function putCase(ctx, accession, specimens, slides) {
  return retrying(ctx.stats, 'case over HTTP', async () =>
    call('PUT', `${ctx.urls.accession}/cases/${accession}`, caseBody(ctx, accession, specimens, slides), await bearer('lis-integration')));
}

/** An HL7 ORM^O01 over MLLP from the LIS simulator; the same control id on every try (no ACK = try again). */
export async function sendHl7Order(ctx, accession, specimens, slides) {
  const args = ['--accession', accession, '--specimens', specimens.map(() => '88305').join(','), '--slides', String(slides), '--payer', 'AETNA',
    '--patient', `MRN-${accession}`.slice(0, 15), '--control-id', `${accession}-NW`, '--timeout', '15000'];
  return retrying(ctx.stats, 'HL7 order', () => new Promise((resolve, reject) => {
    execFile(process.execPath, [join(ctx.root, 'scripts/lis-sim.mjs'), ...args], { encoding: 'utf8' }, (error, stdout) => {
      if (!error) return resolve(stdout);
      const failure = new Error(`HL7 order ${accession}: exit ${error.code}: ${stdout.split('\n').slice(-3).join(' ')}`);
      // AE/AR about the message itself, or a usage error, is the campaign's mistake; an AR/AE saying the
      // receiver could not process it now (HL7 table 0357 code 207, "send it again later") is an outage.
      failure.fatal = error.code === 2 || (error.code === 1 && !/send it again later|\b207\b/.test(stdout));
      reject(failure);
    });
  }));
}

/** POST /cases/{accession}/cancel: cancelling a cancelled case changes nothing (200). */
export async function cancelCase(ctx, accession) {
  return retrying(ctx.stats, 'cancel over HTTP', async () =>
    call('POST', `${ctx.urls.accession}/cases/${accession}/cancel`, { reason: 'fault campaign: cancelled after charging' }, await bearer('lis-integration')));
}

// ---- scans ----

/** A passing scan-completed for a slide, with its ids fixed so every retry is the same event. */
export function scanEvent(barcode) {
  const scanId = randomUUID();
  return {
    eventId: randomUUID(), eventType: 'scan.completed', occurredAt: new Date().toISOString(), slideBarcode: barcode,
    scannerId: 'CHAOS-1', scanId, purpose: 'diagnostic',
    image: { imageId: scanId, focusScore: 0.9, tissueCoverage: 0.4, fileSizeBytes: 1_500_000_000, barcodeRead: true, stitchingErrors: 0 },
  };
}

export async function postScans(ctx, events) {
  return retrying(ctx.stats, 'scans over HTTP', () =>
    call('POST', `${ctx.urls.scanner}/scan-events/batch`, { events }, { 'x-api-key': scannerDevKey() }));
}

export async function produceScans(ctx, events) {
  return retrying(ctx.stats, 'scans on the ingress topic', () =>
    ctx.producer.send({ topic: 'scanner.ingress.v1', acks: -1, messages: events.map((e) => ({ key: e.slideBarcode, value: JSON.stringify(e) })) }));
}

/** The SOP instance UID of a slide's image in this run: the same on every try (2.25 + a UUID-sized number). */
const instanceUid = (run, barcode) => `2.25.${BigInt(`0x${createHash('sha256').update(`${run}/${barcode}`).digest('hex').slice(0, 30)}`)}`;

export async function postDicom(ctx, accession, barcode) {
  const uid = instanceUid(ctx.plan.run, barcode);
  const instance = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.77.1.6'] }, '00080018': { vr: 'UI', Value: [uid] },
    '0020000E': { vr: 'UI', Value: [`${uid}.1`] }, '00080050': { vr: 'SH', Value: [accession] }, '00400512': { vr: 'LO', Value: [barcode] },
    '0008002A': { vr: 'DT', Value: [new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)] },
    '00080070': { vr: 'LO', Value: ['Leica'] }, '00181000': { vr: 'LO', Value: ['CHAOS-DICOM'] },
  };
  return retrying(ctx.stats, 'DICOM JSON', () =>
    call('POST', `${ctx.urls.scanner}/dicom/instances`, instance, { 'content-type': 'application/dicom+json', 'x-api-key': scannerDevKey() }));
}

/** Malformed ingress messages (not JSON): each must end as one dead letter of scanner-events. */
export async function produceBadInputs(ctx, keys) {
  return retrying(ctx.stats, 'bad inputs on the ingress topic', () =>
    ctx.producer.send({ topic: 'scanner.ingress.v1', acks: -1, messages: keys.map((key) => ({ key, value: `{not json: ${key}` })) }));
}
