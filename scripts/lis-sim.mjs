#!/usr/bin/env node
// LIS simulator: sends one HL7 v2 order for an accession over MLLP (plain TCP or TLS) to the accession
// service (or any MLLP receiver) and prints the response (ACK, ORR^O02, ORL^O22) in readable form. The
// message is built by libs/hl7's order builder (buildOrderMessage, the profile services/accession
// reads) from the accession service's build output (npx nx run accession:build; built on first use
// when missing, rebuild after changing libs/hl7). It is sent over a node:net or node:tls socket with @medplum/hl7's
// Hl7Connection.
//
// Usage:
//   node scripts/lis-sim.mjs --accession S26-000123 [options]
//
// What to send (a new order by default, ORC-1 NW):
//   --specimens 88305,88307   primary CPT code per specimen; specimens are A, B, C... (default 88305)
//   --slides 2                slides per specimen, as SAC segments: barcode <accession>-<specimen>1-<n>,
//                             block <specimen>1 (default 1; 0 = none)
//   --payer AETNA             IN1-3 payer id (default MEDICARE)
//   --patient MRN-1           PID-3 patient id (default MRN-<accession>)
//   --patient-name DOE^JANE   PID-5 family^given (default SIMULATION^PAT; a DFT^P03 needs it)
//   --plan PPO-1              IN1-2 plan (default <payer>-STD; a DFT^P03 needs it)
//   --ordering-npi 1234567893 ORC-12 ordering provider's NPI (default 1234567893, name WELBY)
//   --collection-date 2026-11-20   OBR-7 / SPM-17 (default today, UTC)
//   --diagnoses C50.911,Z80.3      DG1-3, one DG1 each (default C50.911)
//   --modifiers A=59,B=Q1     OBR-45 modifier for a specimen (repeat the flag or comma-separate)
//   --units A=2               units of a specimen (TQ1-2 from v2.5, OBR-27 before; default 1)
//   --accept-ack AL           MSH-15 (enhanced mode: the answer is a commit ACK, CA/CE/CR)
//   --recode A=88307          send the whole case again as a change (ORC-1 XO) with these specimens'
//                             codes replaced; give the same --specimens/--slides as the original order
//   --cancel                  cancel the case (ORC-1 CA): MSH, PID and ORC only
//   --reason "text"           ORC-16 reason of a cancel
//   --type ORM|OML            ORM^O01 (ORC+OBR per specimen, default) or OML^O21 (SPM per specimen)
//   --hl7-version 2.5.1       MSH-12 (default 2.5.1; the listener takes 2.3 to 2.5.1)
//   --control-id X            MSH-10 (default a new one; send the same one twice to see idempotency)
//   --sending-app LIS_SIM     MSH-3 (default LIS_SIM); --sending-facility LAB (MSH-4)
// Where:
//   --host 127.0.0.1 --port 2575   the MLLP listener (defaults; env LIS_SIM_HOST / LIS_SIM_PORT)
//   --timeout 10000           ms to wait for the ACK
//   --print                   also print the message sent and the raw ACK
// TLS (accession with ACCESSION_MLLP_TLS_CERT_FILE/_KEY_FILE; any of these turns TLS on):
//   --tls                     MLLP over TLS, the listener's certificate checked against the system CAs
//   --ca ca.pem               ...or against this CA (e.g. the one that signed ACCESSION_MLLP_TLS_CERT_FILE)
//   --cert lis.pem --key lis.key   client certificate (mutual TLS: ACCESSION_MLLP_TLS_CLIENT_AUTH request/require)
//   --servername name         the name the listener's certificate must carry (default: --host when it is a name)
//
// Exit code: 0 on AA (CA), 1 on AE/AR (CE/CR), 2 on a usage error, 3 when no ACK came (no connection,
// timeout, connection closed).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tls from 'node:tls';
import { Hl7Message } from '@medplum/core';
import { Hl7Connection } from '@medplum/hl7';

const USAGE =
  'usage: node scripts/lis-sim.mjs --accession <accession> [--specimens 88305,88307] [--slides 2] [--payer AETNA] [--cancel | --recode A=88307] [--host h] [--port p] ' +
  '[--tls] [--ca ca.pem] [--cert lis.pem --key lis.key] [--servername name] (see the header of this file)';

const TABLE_0357 = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const builtHl7 = join(root, 'dist/services/accession/libs/hl7/src/index.js');

function fail(message) {
  process.stderr.write(`lis-sim: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const flags = new Set(['cancel', 'print', 'help', 'tls']);
  const multi = new Set(['recode', 'modifiers', 'units']);
  const out = { recode: [], modifiers: [], units: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) fail(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (flags.has(name)) {
      out[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) fail(`--${name} needs a value`);
    if (multi.has(name)) out[name].push(...value.split(',').filter(Boolean));
    else out[name] = value;
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!existsSync(builtHl7)) {
  // Not built yet (a fresh checkout, a test run): build it once, as the stack would.
  process.stderr.write('lis-sim: building libs/hl7 with the accession service (npx nx run accession:build)...\n');
  try {
    execFileSync('npx', ['nx', 'run', 'accession:build', '--outputStyle=static'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NX_DAEMON: 'false' } });
  } catch (e) {
    process.stderr.write(`lis-sim: the build failed (${e.message}); run npx nx run accession:build\n`);
    process.exit(2);
  }
}
const { buildOrderMessage } = createRequire(import.meta.url)(builtHl7);
const accession = args.accession;
if (!accession || !/^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$/.test(accession)) fail('--accession is required: 3-32 letters, digits, ".", "_" or "-"');
const host = args.host ?? process.env.LIS_SIM_HOST ?? '127.0.0.1';
const port = Number(args.port ?? process.env.LIS_SIM_PORT ?? 2575);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail('--port must be 1-65535');
const timeoutMs = Number(args.timeout ?? 10_000);
if (!Number.isInteger(timeoutMs) || timeoutMs < 1) fail('--timeout must be a number of ms');
const slidesPerSpecimen = Number(args.slides ?? 1);
if (!Number.isInteger(slidesPerSpecimen) || slidesPerSpecimen < 0 || slidesPerSpecimen > 50) fail('--slides must be 0-50');
const type = (args.type ?? 'ORM').toUpperCase();
if (type !== 'ORM' && type !== 'OML') fail('--type must be ORM or OML');
if (args.cancel && args.recode.length) fail('--cancel and --recode do not go together');
if (Boolean(args.cert) !== Boolean(args.key)) fail('--cert and --key go together (a client certificate and its key)');
const useTls = Boolean(args.tls || args.ca || args.cert || args.servername);
const readPem = (flag) => {
  try {
    return readFileSync(args[flag]);
  } catch (e) {
    return fail(`--${flag} ${args[flag]}: ${e.code ?? e.message}`);
  }
};
const tlsOptions = useTls
  ? {
      minVersion: 'TLSv1.2',
      ...(args.ca ? { ca: readPem('ca') } : {}),
      ...(args.cert ? { cert: readPem('cert'), key: readPem('key') } : {}),
      ...(args.servername ? { servername: args.servername } : {}),
    }
  : undefined;

const codes = (args.specimens ?? '88305').split(',').map((c) => c.trim()).filter(Boolean);
if (!codes.length || codes.length > 26) fail('--specimens needs 1-26 codes');
const letter = (i) => String.fromCharCode(65 + i);
const pairs = (list, what) =>
  new Map(
    list.map((p) => {
      const [id, value] = p.split('=');
      if (!id || !value) fail(`--${what} takes SPECIMEN=VALUE, e.g. A=88307`);
      return [id.toUpperCase(), value.toUpperCase()];
    }),
  );
const recode = pairs(args.recode, 'recode');
const modifiers = new Map();
for (const [id, m] of pairs(args.modifiers, 'modifiers')) modifiers.set(id, [...(modifiers.get(id) ?? []), m]);
const units = pairs(args.units, 'units');
for (const [id, n] of units) if (!/^[1-9]\d?$/.test(n)) fail(`--units ${id}=${n}: 1-99`);
for (const id of [...recode.keys(), ...modifiers.keys(), ...units.keys()]) {
  if (!codes.some((_, i) => letter(i) === id)) fail(`specimen ${id} is not one of ${codes.map((_, i) => letter(i)).join(', ')}`);
}

const specimens = codes.map((code, i) => ({
  id: letter(i),
  code: recode.get(letter(i)) ?? code,
  modifiers: modifiers.get(letter(i)) ?? [],
  units: Number(units.get(letter(i)) ?? 1),
}));
const orderControl = args.cancel ? 'CA' : recode.size ? 'XO' : 'NW';
const controlId = args['control-id'] ?? `SIM${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 36 ** 4).toString(36).toUpperCase().padStart(4, '0')}`;
const patient = args.patient ?? `MRN-${accession}`;
const payer = args.payer ?? 'MEDICARE';
const [familyName, givenName] = (args['patient-name'] ?? 'SIMULATION^PAT').split('^');
const plan = args.plan ?? `${payer}-STD`;
const orderingNpi = args['ordering-npi'] ?? '1234567893';
const collected = args['collection-date'] ?? new Date().toISOString().slice(0, 10);
if (!/^\d{4}-\d{2}-\d{2}$/.test(collected)) fail('--collection-date must be YYYY-MM-DD');
const diagnoses = (args.diagnoses ?? 'C50.911').split(',').map((d) => d.trim()).filter(Boolean);
const version = args['hl7-version'] ?? '2.5.1';

/** The case as the LIS would describe it (not checked here: the receiver checks it). */
function caseDetails() {
  return {
    patientId: patient,
    patient: { familyName, ...(givenName ? { givenName } : {}), birthDate: '1961-07-04', administrativeSex: 'F' },
    payer: { payerId: payer, name: payer, plan },
    orderingProvider: 'WELBY',
    orderingProviderNpi: orderingNpi,
    collectionDate: collected,
    diagnoses,
    specimens: specimens.map((s) => ({ specimenId: s.id, primaryCpt: s.code, units: s.units, ...(s.modifiers.length ? { modifiers: s.modifiers } : {}) })),
    slides: specimens.flatMap((s) =>
      Array.from({ length: slidesPerSpecimen }, (_, n) => ({ barcode: `${accession}-${s.id}1-${n + 1}`, specimenId: s.id, block: `${s.id}1` })),
    ),
  };
}

/** The order, built by libs/hl7's buildOrderMessage. */
function buildMessage() {
  return buildOrderMessage({
    controlId,
    accessionNumber: accession,
    orderControl,
    structure: type === 'ORM' ? 'ORM^O01' : 'OML^O21',
    version,
    sendingApplication: args['sending-app'] ?? 'LIS_SIM',
    sendingFacility: args['sending-facility'] ?? 'LAB',
    ...(args['accept-ack'] ? { acceptAcknowledgmentType: args['accept-ack'] } : {}),
    ...(orderControl === 'CA' ? { patientId: patient, ...(args.reason ? { cancelReason: args.reason } : {}) } : { case: caseDetails() }),
  });
}

const unescape = (v) =>
  v.replace(/\\(F|S|T|R|E|\.br)\\/g, (_, c) => ({ F: '|', S: '^', T: '&', R: '~', E: '\\', '.br': '\n' })[c]);

function describe(ack) {
  const msa = ack.getSegment('MSA');
  const code = msa?.getField(1)?.toString() ?? '';
  const type = ack.getSegment('MSH')?.getField(9)?.toString() ?? '';
  const lines = [`${type.split('^').slice(0, 2).join('^').padEnd(8)} MSA-1 ${code}  MSA-2 ${msa?.getField(2)?.toString() ?? ''}  ${unescape(msa?.getField(3)?.toString() ?? '')}`];
  for (const err of ack.getAllSegments('ERR')) {
    const location = err.getField(2)?.toString() || (err.getField(1)?.toString() ?? '').split('^').slice(0, 3).join('^');
    const errCode = err.getField(3)?.getComponent(1) || '';
    const severity = err.getField(4)?.toString() || 'E';
    lines.push(`     ERR ${location.padEnd(14)} ${errCode} (${TABLE_0357[errCode] ?? '?'}) ${severity}: ${unescape(err.getField(8)?.toString() ?? '')}`);
  }
  return { code, text: lines.join('\n') };
}

const text = buildMessage();
const what = orderControl === 'CA' ? 'cancel' : `${specimens.length} specimen(s) ${specimens.map((s) => `${s.id}=${s.code}`).join(' ')}, ${specimens.length * slidesPerSpecimen} slide(s)`;
process.stdout.write(`sent ${type === 'ORM' ? 'ORM^O01' : 'OML^O21'} ORC-1 ${orderControl} for ${accession} (MSH-10 ${controlId}) to ${useTls ? 'tls://' : ''}${host}:${port}: ${what}\n`);
if (args.print) process.stdout.write(`${text.replace(/\r/g, '\n')}\n\n`);

/** A connected socket (TLS: handshake done, the listener's certificate checked) within the timeout. */
function connect() {
  return new Promise((resolve, reject) => {
    const sni = !tlsOptions?.servername && net.isIP(host) === 0 ? { servername: host } : {};
    const socket = useTls ? tls.connect({ host, port, ...sni, ...tlsOptions }) : net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once(useTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

let exitCode = 3;
let socket;
try {
  socket = await connect();
  if (useTls) process.stdout.write(`TLS ${socket.getProtocol()}${args.cert ? ' with a client certificate' : ''}\n`);
  const connection = new Hl7Connection(socket);
  connection.addEventListener('error', () => undefined);
  // sendAndWait stays pending when the receiver closes the connection (or refuses the client certificate): that is no ACK, now.
  const closed = new Promise((_, reject) => socket.once('close', () => reject(new Error('the receiver closed the connection without an ACK'))));
  const ack = await Promise.race([connection.sendAndWait(Hl7Message.parse(text), { timeoutMs }), closed]);
  const { code, text: readable } = describe(ack);
  process.stdout.write(`${readable}\n`);
  if (args.print) process.stdout.write(`\n${ack.toString().replace(/\r/g, '\n')}\n`);
  exitCode = code === 'AA' || code === 'CA' ? 0 : 1;
} catch (e) {
  process.stderr.write(`lis-sim: no ACK from ${host}:${port}: ${e?.code ? `${e.code}: ` : ''}${e?.message ?? e}\n`);
} finally {
  socket?.destroy();
}
process.exit(exitCode);
