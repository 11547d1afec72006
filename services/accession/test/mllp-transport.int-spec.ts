import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TLSSocket } from 'node:tls';
import { Pool } from 'pg';
import { CaseDetails } from '@slidecharge/contracts';
import { buildOrderMessage, frame, parseAck, type OrderMessageOptions } from '@slidecharge/hl7';
import { asCaller, makeTestPki, MllpTestClient, type TestCertificate, testEnv, type TestPki, eventually } from '@slidecharge/testing';
import { loadServiceConfig } from '../src/config';
import { accessionEnv, RunningAccession, startAccessionApp } from './harness';

/**
 * The MLLP port as a hospital network sees it, over real TCP and TLS sockets: TLS and mutual TLS
 * (a throw-away CA made with openssl under tmp/pki), the sender allow-list (a spoofed MSH-3/MSH-4 is
 * refused and does not take the real sender's MSH-10), connection caps (200 idle connections), the
 * whole-frame clock against a sender that trickles bytes (slowloris) and the idle clock. Two
 * listeners: one with mutual TLS and an allow-list by certificate, one plain with an allow-list by
 * peer address, small caps and short clocks.
 */
const { databaseUrl } = testEnv();
const pool = new Pool({ connectionString: databaseUrl });
const run = randomUUID().slice(0, 8).toUpperCase();
let counter = 0;
const newAccession = () => `TL${run}-${++counter}`;
const newControlId = () => `TL${run}${++counter}`;

const FRAME_TIMEOUT_MS = 1500;
const IDLE_TIMEOUT_MS = 2500;

let pki: TestPki;
let lisA: TestCertificate;
let lisB: TestCertificate;

/** Accession in production mode (the sender allow-list required) with `env`'s MLLP settings. */
const start = (env: Record<string, string>) => startAccessionApp(loadServiceConfig(accessionEnv({ SLIDECHARGE_ENV: 'production', ...env })));

/** The sender allow-list file, written next to the certificates. */
function sendersFile(name: string, senders: unknown[]): string {
  const path = join(pki.dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ senders }, null, 2));
  return path;
}

let tls: RunningAccession;
let plain: RunningAccession;

beforeAll(async () => {
  pki = makeTestPki('mllp-transport', ['lis-a', 'lis-b']);
  lisA = pki.clients['lis-a'] as TestCertificate;
  lisB = pki.clients['lis-b'] as TestCertificate;
  tls = await start({
    ACCESSION_MLLP_TLS_CERT_FILE: pki.server.certFile,
    ACCESSION_MLLP_TLS_KEY_FILE: pki.server.keyFile,
    ACCESSION_MLLP_TLS_CA_FILE: pki.caFile,
    ACCESSION_MLLP_TLS_CLIENT_AUTH: 'require',
    ACCESSION_MLLP_SENDERS_FILE: sendersFile('tls-senders', [
      { name: 'LIS A', certificate: { subjectCN: 'lis-a' }, sendingApplications: ['LIS_A'], sendingFacilities: ['LAB_A'] },
      { name: 'LIS B', certificate: { subjectCN: 'lis-b', sha256: lisB.fingerprint256 }, sendingApplications: ['LIS_B'], sendingFacilities: ['LAB_B'] },
    ]),
  });
  plain = await start({
    ACCESSION_MLLP_FRAME_TIMEOUT_MS: String(FRAME_TIMEOUT_MS),
    ACCESSION_MLLP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    ACCESSION_MLLP_MAX_CONNECTIONS: '10',
    ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER: '8',
    ACCESSION_MLLP_SENDERS_FILE: sendersFile('peer-senders', [
      { name: 'loopback LIS', peers: ['127.0.0.1', '127.0.0.2/32'], sendingApplications: [`LIS${run}`], sendingFacilities: ['LAB'] },
    ]),
  });
}, 60_000);

afterAll(async () => {
  await tls?.app.close();
  await plain?.app.close();
  await pool.end();
});

/** Every HTTP request of this file goes through here (one place to add a bearer token). */
/** A test client with every role (metrics, cases, the HL7 message log). */
const http = (service: RunningAccession) => asCaller(service.baseUrl, 'all-roles');

function order(accession: string, options: Partial<OrderMessageOptions> = {}): string {
  const details = CaseDetails.parse({
    patientId: `MRN-${accession}`,
    payer: { payerId: 'AETNA' },
    collectionDate: '2026-11-20',
    specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
    slides: [{ barcode: `${accession}-A1-1`, specimenId: 'A' }],
  });
  return buildOrderMessage({ controlId: newControlId(), accessionNumber: accession, case: details, sendingApplication: `LIS${run}`, sendingFacility: 'LAB', ...options });
}

const tlsClient = (certificate?: TestCertificate, ca: Buffer = pki.ca) =>
  MllpTestClient.connectTls(tls.mllpPort, { ca, ...(certificate ? { cert: certificate.cert, key: certificate.key } : {}) });

/**
 * A connection the listener refuses: the handshake fails, or (TLS 1.3, where the client may finish
 * first) the connection closes without an ACK to the message sent. Nothing of it is stored.
 */
async function expectRefused(connecting: Promise<MllpTestClient>, message: string): Promise<void> {
  const client = await connecting.catch(() => undefined);
  if (!client) return;
  client.write(frame(message));
  await expect(client.nextAck(5_000)).rejects.toThrow(/closed without an ACK/);
  client.close();
}

async function stored(controlId: string) {
  const { rows } = await pool.query('SELECT outcome, ack_code, client_certificate, sending_application FROM accession.hl7_message WHERE control_id = $1 ORDER BY id', [controlId]);
  return rows as { outcome: string; ack_code: string; client_certificate: string | null; sending_application: string }[];
}

async function metric(service: RunningAccession, line: RegExp): Promise<number> {
  const text = (await http(service).get('/metrics').expect(200)).text;
  const found = text.split('\n').find((l) => line.test(l));
  return found ? Number(found.split(' ').at(-1)) : 0;
}

const controlIdOf = (message: string) => message.split('\r')[0]?.split('|')[9] ?? '';

describe('mutual TLS on the MLLP port', () => {
  it('a client with a certificate of the CA, checking the server against the CA: handshake, AA, the certificate stored with the message', async () => {
    const client = await tlsClient(lisA);
    try {
      const message = order(newAccession(), { sendingApplication: 'LIS_A', sendingFacility: 'LAB_A' });
      const { ack } = await client.send(message);
      expect(ack).toMatchObject({ code: 'AA', controlId: controlIdOf(message) });
      expect((client.socket as TLSSocket).getProtocol()).toMatch(/^TLSv1\.[23]$/);
      expect(await stored(controlIdOf(message))).toEqual([
        { outcome: 'created', ack_code: 'AA', client_certificate: `CN=lis-a SHA256=${lisA.fingerprint256.replace(/:/g, '')}`, sending_application: 'LIS_A' },
      ]);
    } finally {
      client.close();
    }
    const ready = (await http(tls).get('/health/ready').expect(200)).body;
    expect(ready.checks).toContainEqual(expect.objectContaining({ name: 'mllp', status: 'up', tls: true, senderAllowList: true }));
  });

  it('a client without a certificate is refused (mTLS required); nothing is read or stored', async () => {
    const before = await metric(tls, /^slidecharge_mllp_connections_refused_total\{reason="tls-handshake"\}/);
    const message = order(newAccession(), { sendingApplication: 'LIS_A', sendingFacility: 'LAB_A' });
    await expectRefused(tlsClient(), message);
    expect(await stored(controlIdOf(message))).toEqual([]);
    await eventually(async () => ((await metric(tls, /^slidecharge_mllp_connections_refused_total\{reason="tls-handshake"\}/)) > before ? true : undefined), 5_000, 'the refusal counted');
  });

  it('a client whose certificate comes from another CA is refused', async () => {
    const message = order(newAccession(), { sendingApplication: 'LIS_A', sendingFacility: 'LAB_A' });
    await expectRefused(tlsClient(pki.foreignClient), message);
    expect(await stored(controlIdOf(message))).toEqual([]);
  });

  it('a client that does not trust the server certificate does not connect (the server proves itself too)', async () => {
    await expect(tlsClient(lisA, readFileSync(pki.otherCaFile))).rejects.toThrow(/certificate/);
  });
});

describe('the LIS simulator over mutual TLS (scripts/lis-sim.mjs --ca --cert --key), as a person would try it', () => {
  const ROOT = join(__dirname, '../../..');
  const sim = (args: string[]) =>
    promisify(execFile)(process.execPath, [join(ROOT, 'scripts/lis-sim.mjs'), '--host', '127.0.0.1', '--port', String(tls.mllpPort), ...args], { cwd: ROOT }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );

  it('with the client certificate: AA (exit 0); without it: no ACK (exit 3)', async () => {
    const withCert = await sim(['--accession', newAccession(), '--sending-app', 'LIS_A', '--sending-facility', 'LAB_A', '--ca', pki.caFile, '--cert', lisA.certFile, '--key', lisA.keyFile]);
    expect(withCert.code).toBe(0);
    expect(withCert.stdout).toMatch(/TLS TLSv1\.[23] with a client certificate/);
    expect(withCert.stdout).toContain('MSA-1 AA');
    const without = await sim(['--accession', newAccession(), '--sending-app', 'LIS_A', '--sending-facility', 'LAB_A', '--ca', pki.caFile, '--timeout', '3000']);
    expect(without.code).toBe(3);
  });
});

describe('the sender allow-list: MSH-3/MSH-4 bound to the certificate', () => {
  it('lis-a sending as LIS_B (spoofed) gets AR 204 at MSH-3 and does not take the MSH-10: the real LIS_B later gets AA for it', async () => {
    const accession = newAccession();
    const controlId = newControlId();
    const spoofed = order(accession, { controlId, sendingApplication: 'LIS_B', sendingFacility: 'LAB_B' });
    const a = await tlsClient(lisA);
    const refused = await a.send(spoofed).finally(() => a.close());
    expect(refused.ack).toMatchObject({ code: 'AR', controlId });
    expect(refused.ack.errors.map((e) => `${e.location}:${e.code}`)).toEqual(['MSH^1^3:204']);
    expect(refused.ack.errors[0]?.message).toBe('MSH-3 sending application LIS_B is not allowed on this connection');
    await http(tls).get(`/cases/${accession}`).expect(404);

    const b = await tlsClient(lisB);
    const real = await b.send(order(accession, { controlId, sendingApplication: 'LIS_B', sendingFacility: 'LAB_B' })).finally(() => b.close());
    expect(real.ack).toMatchObject({ code: 'AA', controlId, text: `case ${accession} created (version 1)` });
    expect((await stored(controlId)).map((m) => [m.outcome, m.ack_code])).toEqual([
      ['sender-not-allowed', 'AR'],
      ['created', 'AA'],
    ]);
    const listed = (await http(tls).get('/hl7/messages').query({ controlId, outcome: 'sender-not-allowed' }).expect(200)).body.items;
    expect(listed).toEqual([expect.objectContaining({ ackCode: 'AR', clientCertificate: expect.stringMatching(/^CN=lis-a SHA256=/) })]);
  });

  it('an allowed application with a facility that is not its own: AR 204 at MSH-4', async () => {
    const client = await tlsClient(lisA);
    const { ack } = await client.send(order(newAccession(), { sendingApplication: 'LIS_A', sendingFacility: 'LAB_B' })).finally(() => client.close());
    expect(ack.code).toBe('AR');
    expect(ack.errors.map((e) => `${e.location}:${e.code}`)).toEqual(['MSH^1^4:204']);
  });

  it('by peer address: 127.0.0.1 sends as its sender; an address the list does not name (127.0.0.3) is closed at once', async () => {
    const client = await MllpTestClient.connect(plain.mllpPort);
    expect((await client.send(order(newAccession())).finally(() => client.close())).ack.code).toBe('AA');
    const before = await metric(plain, /^slidecharge_mllp_connections_refused_total\{reason="unknown-sender"\}/);
    const stranger = await MllpTestClient.connect(plain.mllpPort, '127.0.0.3');
    stranger.write(frame(order(newAccession())));
    await stranger.waitClosed(5_000);
    await expect(stranger.nextAck(100)).rejects.toThrow(/closed without an ACK/);
    expect(await metric(plain, /^slidecharge_mllp_connections_refused_total\{reason="unknown-sender"\}/)).toBe(before + 1);
  });
});

describe('connection caps (ACCESSION_MLLP_MAX_CONNECTIONS 10, _PER_PEER 8)', () => {
  it('200 idle connections from one address: 8 are held, the other 192 closed at once; a second address gets the last 2 places', async () => {
    const before = await metric(plain, /^slidecharge_mllp_connections_refused_total\{reason="max-connections-per-peer"\}/);
    const clients = await Promise.all(Array.from({ length: 200 }, () => MllpTestClient.connect(plain.mllpPort)));
    try {
      await eventually(async () => (clients.filter((c) => c.ended).length === 192 ? true : undefined), 10_000, '192 connections closed');
      expect(await metric(plain, /^slidecharge_mllp_connections_refused_total\{reason="max-connections-per-peer"\}/)).toBe(before + 192);
      const held = clients.filter((c) => !c.ended);
      expect(held).toHaveLength(8);
      // The held ones work.
      expect((await held[0]?.send(order(newAccession())))?.ack.code).toBe('AA');

      const other = await Promise.all([0, 1, 2].map(() => MllpTestClient.connect(plain.mllpPort, '127.0.0.2')));
      await eventually(async () => (other.filter((c) => c.ended).length === 1 ? true : undefined), 10_000, 'the 11th connection closed');
      expect(await metric(plain, /^slidecharge_mllp_connections_refused_total\{reason="max-connections"\}/)).toBeGreaterThanOrEqual(1);
      const ready = (await http(plain).get('/health/ready').expect(200)).body.checks.find((c: { name: string }) => c.name === 'mllp');
      expect(ready).toMatchObject({ connections: 10, maxConnections: 10 });
      for (const c of other) c.close();
    } finally {
      for (const c of clients) c.close();
    }
    // Places are given back on close.
    await eventually(async () => {
      const c = await MllpTestClient.connect(plain.mllpPort);
      try {
        return (await c.send(order(newAccession()))).ack.code === 'AA' ? true : undefined;
      } finally {
        c.close();
      }
    }, 10_000, 'a new connection after the others closed');
  });
});

describe('clocks: the whole frame, and an idle connection', () => {
  it(`slowloris: a frame trickled a byte every 100 ms is answered AR 100 ${FRAME_TIMEOUT_MS} ms after its first byte, and the connection closed`, async () => {
    const client = await MllpTestClient.connect(plain.mllpPort);
    const message = order(newAccession());
    const bytes = frame(message).subarray(0, -2); // never ends
    const started = Date.now();
    let i = 0;
    const trickle = setInterval(() => {
      if (!client.ended && i < bytes.length) client.write(bytes.subarray(i, ++i));
    }, 100);
    try {
      const ack = parseAck(await client.nextAck(FRAME_TIMEOUT_MS + 5_000));
      const elapsed = Date.now() - started;
      expect(ack).toMatchObject({ code: 'AR' });
      expect(ack?.errors[0]?.message).toMatch(new RegExp(`^an MLLP frame was left open: not ended with 0x1C 0x0D within ${FRAME_TIMEOUT_MS} ms of its first byte`));
      expect(elapsed).toBeGreaterThanOrEqual(FRAME_TIMEOUT_MS - 100);
      expect(elapsed).toBeLessThan(FRAME_TIMEOUT_MS + 3_000);
      await client.waitClosed();
      // Bytes kept coming all along: an idle-timer alone would never have fired.
      expect(i).toBeGreaterThan(10);
    } finally {
      clearInterval(trickle);
      client.close();
    }
  });

  it(`an idle connection is closed after ${IDLE_TIMEOUT_MS} ms, also when it trickles CR between frames; one that sends messages stays`, async () => {
    const idle = await MllpTestClient.connect(plain.mllpPort);
    const noisy = await MllpTestClient.connect(plain.mllpPort);
    const busy = await MllpTestClient.connect(plain.mllpPort);
    const started = Date.now();
    const noise = setInterval(() => !noisy.ended && noisy.write('\r'), 200);
    try {
      // The busy one sends an order every 800 ms while the others wait.
      for (let n = 0; n < 5; n++) {
        expect((await busy.send(order(newAccession()))).ack.code).toBe('AA');
        await new Promise((r) => setTimeout(r, 800));
      }
      await idle.waitClosed(IDLE_TIMEOUT_MS + 5_000);
      await noisy.waitClosed(IDLE_TIMEOUT_MS + 5_000);
      for (const closed of [idle, noisy]) {
        expect((closed.closedAt ?? 0) - started).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
        expect((closed.closedAt ?? 0) - started).toBeLessThan(IDLE_TIMEOUT_MS + 2_000);
      }
      expect(busy.ended).toBe(false);
      await expect(idle.nextAck(100)).rejects.toThrow(/closed without an ACK/);
    } finally {
      clearInterval(noise);
      for (const c of [idle, noisy, busy]) c.close();
    }
  });
});
