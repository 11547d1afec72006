#!/usr/bin/env node
// Billing-system simulator: an MLLP listener that takes HL7 v2 DFT^P03 charges the way a hospital
// billing system would, prints each one readably and acknowledges it. Use it to watch slidecharge's
// billing service deliver charges and credits over MLLP, and to demo its retries.
//
// Usage:
//   node scripts/billing-system-sim.mjs [--port 2576] [--host 127.0.0.1]
//        [--ae-every N] [--ar-every N] [--silent-every N] [--lose-ack-every N] [--no-answer] [--delay-ms MS] [--quiet]
//
//   --port N          MLLP port to listen on (default 2576, next to accession's 2575; 0 = any free port, printed at start)
//   --host H          address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
//   --ae-every N      answer AE (application error) to every Nth message received (counting repeats)
//   --ar-every N      answer AR (application reject) to every Nth message received
//   --silent-every N  do not answer every Nth message at all (the sender times out and sends it again)
//   --lose-ack-every N  take every Nth message (the charge is booked) but lose its ACK: the sender times
//                     out and sends it again with the same MSH-10, which is then dropped as a repeat
//   --no-answer       never answer (every send times out)
//   --delay-ms MS     wait this long before each answer
//   --quiet           one line per message instead of the full charge
//   --tls-cert F --tls-key F   listen with TLS (1.2 or newer) using this certificate and key (PEM); then point
//                     billing at it with BILLING_DFT_TLS=true and BILLING_DFT_TLS_CA_FILE=<the CA that signed F>
//   --tls-ca F        CA for client certificates (mutual TLS; billing's BILLING_DFT_TLS_CERT_FILE/_KEY_FILE)
//   --client-auth M   none | request | require (default: require with --tls-ca, else none)
//
// Then point billing at it:
//   BILLING_DFT_HOST=127.0.0.1 BILLING_DFT_PORT=2576 (npm run stack does this and starts this simulator itself)
//
// Repeats: a message whose MSH-10 was accepted before (AA) is a repeat (billing resends with the same
// MSH-10 when an ACK is lost): it is answered AA again, logged as a repeat and not counted as a new
// charge. A message that was refused (AE/AR) or not answered is not a repeat when it comes again.
// What it prints for each message: FT1-6 (CG charge / CD credit), FT1-2 (its transaction id), for a
// credit PR1-19 (the charge's FT1-2 it reverses), NTE-3 (the chargeId), FT1-23 accession, PID-3 patient, FT1-4 date of service, FT1-7 code,
// FT1-10 units, FT1-26 modifiers, FT1-19 diagnoses, IN1-3 payer. Ctrl-C prints a summary and exits.
// Built on @medplum/hl7's Hl7Connection (MLLP framing) and @medplum/core's Hl7Message (parse, ACK).
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { parseArgs } from 'node:util';
import { Hl7Message, Hl7Segment } from '@medplum/core';
import { Hl7Connection } from '@medplum/hl7';

const USAGE =
  'usage: node scripts/billing-system-sim.mjs [--port 2576] [--host 127.0.0.1] [--ae-every N] [--ar-every N] [--silent-every N] ' +
  '[--lose-ack-every N] [--no-answer] [--delay-ms MS] [--quiet] [--tls-cert F --tls-key F [--tls-ca F] [--client-auth none|request|require]]';

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        port: { type: 'string', default: '2576' },
        host: { type: 'string', default: '127.0.0.1' },
        'ae-every': { type: 'string' },
        'ar-every': { type: 'string' },
        'silent-every': { type: 'string' },
        'lose-ack-every': { type: 'string' },
        'no-answer': { type: 'boolean', default: false },
        'delay-ms': { type: 'string', default: '0' },
        quiet: { type: 'boolean', default: false },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'client-auth': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (e) {
    fail(e.message);
  }
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const whole = (name, min) => {
    const raw = parsed[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number >= ${min}, not "${raw}"`);
    return n;
  };
  const port = whole('port', 0);
  if (port > 65535) fail('--port must be at most 65535');
  if (Boolean(parsed['tls-cert']) !== Boolean(parsed['tls-key'])) fail('--tls-cert and --tls-key go together');
  if ((parsed['tls-ca'] || parsed['client-auth']) && !parsed['tls-cert']) fail('--tls-ca and --client-auth need --tls-cert and --tls-key');
  const clientAuth = parsed['client-auth'] ?? (parsed['tls-ca'] ? 'require' : 'none');
  if (!['none', 'request', 'require'].includes(clientAuth)) fail('--client-auth must be none, request or require');
  if (clientAuth !== 'none' && !parsed['tls-ca']) fail(`--client-auth ${clientAuth} needs --tls-ca (the CA client certificates must chain to)`);
  const pem = (flag) => {
    try {
      return readFileSync(parsed[flag]);
    } catch (e) {
      return fail(`--${flag} ${parsed[flag]}: ${e.code ?? e.message}`);
    }
  };
  const tlsOptions = parsed['tls-cert']
    ? {
        cert: pem('tls-cert'),
        key: pem('tls-key'),
        ...(parsed['tls-ca'] ? { ca: pem('tls-ca') } : {}),
        minVersion: 'TLSv1.2',
        requestCert: clientAuth !== 'none',
        rejectUnauthorized: clientAuth === 'require',
      }
    : undefined;
  return {
    tls: tlsOptions,
    clientAuth,
    port,
    host: parsed.host,
    aeEvery: whole('ae-every', 1),
    arEvery: whole('ar-every', 1),
    silentEvery: whole('silent-every', 1),
    loseAckEvery: whole('lose-ack-every', 1),
    noAnswer: parsed['no-answer'],
    delayMs: whole('delay-ms', 0),
    quiet: parsed.quiet,
  };
}

function fail(message) {
  console.error(`billing-system-sim: ${message}\n${USAGE}`);
  process.exit(2);
}

const opts = options();
const accepted = new Map(); // MSH-10 -> time first accepted
const stats = { received: 0, charges: 0, credits: 0, repeats: 0, AA: 0, AE: 0, AR: 0, unanswered: 0, acksLost: 0 };

/** field n (1-based), component c (1-based), repetition r (0-based) of a segment, '' when absent. */
function value(segment, n, c = 1, r = 0) {
  if (!segment) return '';
  const field = segment.getField(n);
  if (!field) return '';
  if (segment.name === 'MSH' && n <= 2) return field.toString();
  if (r >= field.components.length) return '';
  return field.getComponent(c, undefined, r) ?? '';
}

function repetitions(segment, n, c = 1) {
  const out = [];
  for (let r = 0; ; r++) {
    const v = value(segment, n, c, r);
    if (!v) return out;
    out.push(v);
  }
}

const hl7Date = (v) => (/^\d{8}/.test(v) ? `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}` : v || '?');
const now = () => new Date().toISOString().slice(11, 23);

/** What to answer to the nth message (1-based) received, by the flags: AA, AE, AR, none, or lost (taken, ACK lost). */
function answerFor(n) {
  if (opts.noAnswer || (opts.silentEvery && n % opts.silentEvery === 0)) return 'none';
  if (opts.loseAckEvery && n % opts.loseAckEvery === 0) return 'lost';
  if (opts.arEvery && n % opts.arEvery === 0) return 'AR';
  if (opts.aeEvery && n % opts.aeEvery === 0) return 'AE';
  return 'AA';
}

function describe(message) {
  const msh = message.getSegment('MSH');
  const ft1 = message.getSegment('FT1');
  const type = value(ft1, 6);
  // FT1-2 is each transaction's own id; a credit names its charge's FT1-2 in PR1-19 (PR1-20 D), NTE-3 the chargeId.
  const chargeId = value(message.getSegment('NTE'), 3).replace(/^chargeId /, '') || '?';
  const what =
    type === 'CD'
      ? `CREDIT (CD) ${value(ft1, 2)} reverses charge ${value(message.getSegment('PR1'), 19) || '?'} (${chargeId})`
      : type === 'CG'
        ? `CHARGE (CG) ${value(ft1, 2)} (${chargeId})`
        : `FT1-6 "${type}" (?)`;
  const modifiers = repetitions(ft1, 26);
  const diagnoses = repetitions(ft1, 19);
  return {
    type,
    head: `${value(msh, 9, 1)}^${value(msh, 9, 2)} ${value(msh, 10)} from ${value(msh, 3)}${value(msh, 4) ? `/${value(msh, 4)}` : ''}: ${what}`,
    lines: [
      `accession ${value(ft1, 23) || '?'}   patient ${value(message.getSegment('PID'), 3) || '?'}   payer ${value(message.getSegment('IN1'), 3) || '?'}`,
      `date of service ${hl7Date(value(ft1, 4))}   code ${value(ft1, 7) || value(ft1, 25) || '?'} x ${value(ft1, 10) || '?'}` +
        `   modifiers ${modifiers.length ? modifiers.join(', ') : '-'}   diagnoses ${diagnoses.length ? diagnoses.join(', ') : '-'}`,
    ],
  };
}

function ack(message, code) {
  if (code === 'AA') return message.buildAck({ ackCode: 'AA' });
  const text = code === 'AE' ? 'simulated application error (--ae-every)' : 'simulated reject (--ar-every)';
  const err = Hl7Segment.parse(`ERR||FT1^1^7|207^Application internal error^HL70357|E||||${text}`, message.context);
  return message.buildAck({ ackCode: code, errSegment: err });
}

async function onMessage(connection, message) {
  stats.received += 1;
  const n = stats.received;
  const msh = message.getSegment('MSH');
  const controlId = value(msh, 10);
  const messageType = `${value(msh, 9, 1)}^${value(msh, 9, 2)}`;
  if (messageType !== 'DFT^P03') {
    console.log(`[${now()}] #${n} ${messageType} ${controlId}: not a DFT^P03 -> AR`);
    stats.AR += 1;
    connection.send(ack(message, 'AR'));
    return;
  }
  const seen = accepted.get(controlId);
  const d = describe(message);
  if (seen) {
    // A repeat after a lost ACK: drop it, answer AA again so the sender stops.
    stats.repeats += 1;
    stats.AA += 1;
    console.log(`[${now()}] #${n} REPEAT of ${controlId} (accepted at ${seen}): dropped -> AA`);
    connection.send(ack(message, 'AA'));
    return;
  }
  const answer = answerFor(n);
  const said = { none: '(no answer: the sender will time out)', lost: 'AA, LOST on the way (the sender will time out and send it again)' }[answer] ?? answer;
  if (opts.quiet) console.log(`[${now()}] #${n} ${d.head} -> ${said}`);
  else console.log(`[${now()}] #${n} ${d.head}\n    ${d.lines.join('\n    ')}\n    -> ${said}`);
  if (answer === 'none') {
    stats.unanswered += 1;
    return;
  }
  // Taken: booked before the ACK goes out, as a billing system does (a repeat of it is dropped).
  if (answer === 'AA' || answer === 'lost') {
    accepted.set(controlId, now());
    if (d.type === 'CD') stats.credits += 1;
    else stats.charges += 1;
  }
  if (answer === 'lost') {
    stats.acksLost += 1;
    return;
  }
  if (opts.delayMs > 0) await new Promise((r) => setTimeout(r, opts.delayMs));
  stats[answer] += 1;
  connection.send(ack(message, answer));
}

function onConnection(socket) {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  const certificate = opts.tls && socket.authorized ? socket.getPeerCertificate().subject?.CN : undefined;
  console.log(`[${now()}] connection from ${peer}${opts.tls ? ` over ${socket.getProtocol()}${certificate ? `, client certificate CN=${certificate}` : ', no client certificate'}` : ''}`);
  const connection = new Hl7Connection(socket);
  connection.addEventListener('message', (event) => {
    onMessage(connection, event.message).catch((e) => console.error(`[${now()}] could not answer: ${e.message}`));
  });
  connection.addEventListener('error', (event) => console.error(`[${now()}] ${peer}: ${event.error.message}`));
  connection.addEventListener('close', () => console.log(`[${now()}] ${peer} closed the connection`));
}

const server = opts.tls ? tls.createServer(opts.tls, onConnection) : net.createServer(onConnection);
if (opts.tls) server.on('tlsClientError', (e, socket) => console.error(`[${now()}] TLS handshake with ${socket.remoteAddress ?? 'a client'} failed: ${e.code ?? ''} ${e.message}`));

server.on('error', (e) => fail(`cannot listen on ${opts.host}:${opts.port}: ${e.message}`));
server.listen(opts.port, opts.host, () => {
  const { port } = server.address();
  const flags = [
    opts.aeEvery && `AE every ${opts.aeEvery}`,
    opts.arEvery && `AR every ${opts.arEvery}`,
    opts.silentEvery && `no answer every ${opts.silentEvery}`,
    opts.loseAckEvery && `ACK lost every ${opts.loseAckEvery}`,
    opts.noAnswer && 'never answers',
    opts.delayMs && `answers after ${opts.delayMs} ms`,
  ].filter(Boolean);
  const tlsNote = opts.tls ? ` over TLS${opts.clientAuth !== 'none' ? ` (client certificates: ${opts.clientAuth})` : ''}` : '';
  console.log(`billing-system simulator listening for DFT^P03 over MLLP${tlsNote} on ${opts.host}:${port}${flags.length ? ` (${flags.join(', ')})` : ''}`);
  console.log(
    `point billing at it: BILLING_DFT_HOST=${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host} BILLING_DFT_PORT=${port}` +
      (opts.tls ? ' BILLING_DFT_TLS=true BILLING_DFT_TLS_CA_FILE=<the CA of --tls-cert>' : '') +
      (opts.clientAuth !== 'none' ? ' BILLING_DFT_TLS_CERT_FILE=<client cert> BILLING_DFT_TLS_KEY_FILE=<its key>' : ''),
  );
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.log(
      `\n${stats.received} messages: ${stats.charges} charges and ${stats.credits} credits accepted, ${stats.repeats} repeats dropped, ` +
        `answered AA ${stats.AA}, AE ${stats.AE}, AR ${stats.AR}, unanswered ${stats.unanswered}, ACKs lost ${stats.acksLost}`,
    );
    process.exit(0);
  });
}
