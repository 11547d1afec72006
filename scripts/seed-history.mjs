#!/usr/bin/env node
// Fills a migrated database with a year of a large lab, so that the services' hot queries and the
// benchmark run on top of history (issue #10, "Cost that does not grow with history"):
//
//   node scripts/seed-history.mjs [--scale 1] [--database-url postgresql://...] [--batch 50000] [--no-vacuum]
//
// At --scale 1: 300,000 cases (1,000,000 specimens, 1,400,000 slides), 1,500,000 scans (one
// scan.completed receipt each, 100,000 of them rescans of a slide whose first scan failed QC), a QC
// verdict per scan, 1,000,000 charges (one per specimen) with their audit lines, DFT^P03 deliveries
// (acked, one attempt each) and, for the charges of cancelled cases (3% of cases), credits. Every
// service gets what it would have stored: accession's cases/specimens/slides, billing's copy of them,
// billing's scans and QC outcomes, qc's results, the ops console's facts, each consumer's inbox
// (consumed_event of billing, qc, ops_console; scanner-events keeps inbox rows only for its ingress
// topic, and the seeded scans came by HTTP), and every outbox row, published (as services keep them
// with OUTBOX_RETENTION_DAYS above 0, the heaviest history; by default the relay deletes a record as it
// publishes it, and the services purge kept ones older than those days, at most 100,000 a run, hourly:
// a seeded year keeps most of its rows for a long while). Dates are spread
// over the past 365 days (cases up to 5 days ago; held charges of the last days wait in the review
// queue), 300 scanners, 9 payers (MEDICARE and BCBS charges are held for review and released, as the
// built-in policy set does; SELFPAY charges are kept unsent). --scale 0.01 is 1% of every volume.
//
// Seeded keys cannot collide with the tests' (S26-...) or the benchmark's (B<run>...): accession
// numbers are H<yy>-<7 digits> (yy: the year the case came in), barcodes <accession>-<specimen>1-<n>,
// scan ids HSCAN-<8 digits>, middleware event ids H-mw-<n>, event ids and charge ids
// md5('H:<kind>:<n>') shaped as a v4 UUID. The script refuses a database that already has seeded rows (it says where);
// re-seed into a fresh database (dropdb, then node scripts/prisma.mjs migrate).
//
// Writes as the administrator of DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/slidecharge),
// which gives the same result as the services' roles would: the tables exist already (migrations,
// owned by each service's role), rows have no owner, and the sequences (outbox.seq, ids) advance the
// same. Foreign-key triggers are skipped while seeding (session_replication_role = replica, which the
// administrator may set) because the rows are made coherent by construction; then VACUUM (ANALYZE)
// (or ANALYZE alone with --no-vacuum) of every table written.
//
// Set-based: one INSERT ... SELECT FROM generate_series per table and batch of --batch driving rows.
import pg from 'pg';
import { parseArgs } from './bench/args.mjs';

const args = parseArgs(process.argv.slice(2));
const scale = Number(args.scale ?? 1);
const databaseUrl = typeof args['database-url'] === 'string' ? args['database-url'] : process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/slidecharge';
const batch = Number(args.batch ?? 50_000);
if (!(scale > 0 && scale <= 10) || !(batch >= 1000)) {
  console.error('usage: seed-history.mjs [--scale 0 < s <= 10, default 1] [--database-url url] [--batch >= 1000] [--no-vacuum]');
  process.exit(2);
}

// ---- volumes ----
const C = Math.max(30, Math.round(300_000 * scale)); // cases
const S = Math.round(C * (10 / 3)); // specimens = charges (one 07xxT add-on charge per specimen)
const SL = Math.round(C * (14 / 3)); // slides: specimens 1..SL-S have a second slide
const SC = Math.round(C * 5); // scans: one per slide, plus R rescans
const R = SC - SL; // rescans: of every STRIDE-th slide (its first scan failed QC)
const STRIDE = Math.floor(SL / R);

// ---- time: cases from 365 to 5 days ago, evenly; everything else follows its case ----
const now = new Date();
const DAY = 86_400_000;
const T0 = new Date(now.getTime() - 365 * DAY);
const STEP_SECONDS = (360 * 86_400) / C;
const ts = (d) => `TIMESTAMPTZ '${d.toISOString()}'`;
const HELD_SINCE = ts(new Date(now.getTime() - 12 * DAY)); // cases after this: their held charges still wait
const CANCEL_BEFORE = ts(new Date(now.getTime() - 15 * DAY)); // cases before this may have been cancelled

// ---- SQL building blocks (expressions of a driving number; Postgres has no CSE, so each FROM below
// computes a row's derived values once in a LATERAL ... OFFSET 0) ----
// A version-4 shaped UUID (the contracts' z.uuid() checks the version and variant digits) from an md5.
const uuid = (kind, n) => `overlay(overlay(md5('H:${kind}:' || (${n})) placing '4' from 13) placing '8' from 17)::uuid`;
const traceparent = (kind, n) => `'00-' || md5('H:trace:${kind}:' || (${n})) || '-' || left(md5('H:span:${kind}:' || (${n})), 16) || '-01'`;
const iso = (t) => `to_char((${t}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const headers = (type, producer, kind, n) =>
  `jsonb_build_object('x-correlation-id', ${uuid(`corr-${kind}`, n)}::text, 'x-event-type', ${type}, 'x-producer', '${producer}', 'traceparent', ${traceparent(kind, n)})`;
const envelope = (eventId, type, occurredAt, producer, kind, n, data) =>
  `jsonb_build_object('eventId', ${eventId}::text, 'type', ${type}, 'schemaVersion', 1, 'occurredAt', ${iso(occurredAt)}, 'producer', '${producer}',
                      'correlationId', ${uuid(`corr-${kind}`, n)}::text, 'data', ${data})`;

const PAYERS = `CASE WHEN b < 20 THEN 'MEDICARE' WHEN b < 30 THEN 'BCBS' WHEN b < 50 THEN 'AETNA' WHEN b < 65 THEN 'UHC' WHEN b < 75 THEN 'CIGNA'
                     WHEN b < 83 THEN 'HUMANA' WHEN b < 91 THEN 'MEDICAID' WHEN b < 97 THEN 'KAISER' ELSE 'SELFPAY' END`;
const DIAGNOSES = `CASE cs0.c % 8 WHEN 0 THEN ARRAY['C50.911', 'N63.0'] WHEN 1 THEN ARRAY['C61'] WHEN 2 THEN ARRAY['K63.5', 'D12.6'] WHEN 3 THEN ARRAY['C18.7']
                     WHEN 4 THEN ARRAY['D22.5', 'L82.1'] WHEN 5 THEN ARRAY['C34.11'] WHEN 6 THEN ARRAY['N84.0'] ELSE ARRAY['K29.70', 'B96.81'] END`;

/** The case `cExpr` (a number 1..C) as laterals cs0/cs: t (came in), acc, payer, version, cancelled, ... */
const caseOf = (cExpr) => `
  CROSS JOIN LATERAL (SELECT (${cExpr})::bigint AS c, ${ts(T0)} + ((${cExpr}) - 1) * interval '${STEP_SECONDS} seconds' AS t,
                             ((${cExpr}) * 37) % 100 AS b OFFSET 0) cs0
  CROSS JOIN LATERAL (SELECT 'H' || to_char(cs0.t AT TIME ZONE 'UTC', 'YY') || '-' || lpad(cs0.c::text, 7, '0') AS acc,
                             ${PAYERS.replaceAll('b <', 'cs0.b <')} AS payer,
                             'HMRN-' || lpad(((cs0.c * 7919) % ${Math.max(1, Math.round(C * 0.7))})::text, 7, '0') AS patient,
                             (cs0.c % 33 = 0 AND cs0.t < ${CANCEL_BEFORE}) AS cancelled,
                             cs0.t + interval '10 days' AS cancel_at,
                             (cs0.t - ((cs0.c % 3) || ' days')::interval)::date AS collection_date,
                             ${DIAGNOSES} AS diagnoses OFFSET 0) cs1
  CROSS JOIN LATERAL (SELECT 1 + (cs0.c % 5 = 0)::int + cs1.cancelled::int AS version,
                             CASE WHEN cs1.cancelled THEN 'cancelled' ELSE 'active' END AS status OFFSET 0) cs2`;

/** A specimen's primary CPT code and its digitization add-on code (70% 88305 -> 0753T). */
const cptOf = (k) => `CASE WHEN (${k}) % 20 < 14 THEN '88305' WHEN (${k}) % 20 < 16 THEN '88307' WHEN (${k}) % 20 < 18 THEN '88342' WHEN (${k}) % 20 = 18 THEN '88312' ELSE '88304' END`;
const codeOf = (k) => `CASE WHEN (${k}) % 20 < 14 THEN '0753T' WHEN (${k}) % 20 < 16 THEN '0754T' WHEN (${k}) % 20 < 18 THEN '0760T' WHEN (${k}) % 20 = 18 THEN '0756T' ELSE '0752T' END`;

/** The specimen `kExpr` (1..S) as laterals sp: letter, cpt, code, units, and its case (cs*). */
const specimenOf = (kExpr) => `
  CROSS JOIN LATERAL (SELECT (${kExpr})::bigint AS k, chr(65 + (((${kExpr}) - 1) / ${C})::int) AS letter, (((${kExpr}) - 1) / ${C})::int AS li,
                             ${cptOf(kExpr)} AS cpt, ${codeOf(kExpr)} AS code,
                             1 + ((${kExpr}) % 17 = 0)::int AS units OFFSET 0) sp
  ${caseOf(`(sp.k - 1) % ${C} + 1`)}`;

const rescanned = (j) => `((${j}) - 1) % ${STRIDE} = 0 AND ((${j}) - 1) / ${STRIDE} < ${R}`;
const finalScan = (j) => `CASE WHEN ${rescanned(j)} THEN ${SL} + 1 + ((${j}) - 1) / ${STRIDE} ELSE (${j}) END`;
const scanId = (m) => `'HSCAN-' || lpad((${m})::text, 8, '0')`;

/** The slide `jExpr` (1..SL) as laterals sl: n, barcode, final scan; its specimen (sp) and case (cs*). */
const slideOf = (jExpr) => `
  CROSS JOIN LATERAL (SELECT (${jExpr})::bigint AS j, ((${jExpr}) - 1) / ${S} + 1 AS n OFFSET 0) sl0
  ${specimenOf(`(sl0.j - 1) % ${S} + 1`)}
  CROSS JOIN LATERAL (SELECT cs1.acc || '-' || sp.letter || '1-' || sl0.n AS barcode OFFSET 0) sl`;

/** The scan `mExpr` (1..SC) as laterals sc: scan id, scanner, when, QC verdict; its slide, specimen, case. */
const scanOf = (mExpr) => `
  CROSS JOIN LATERAL (SELECT (${mExpr})::bigint AS m, (${mExpr}) > ${SL} AS rescan,
                             CASE WHEN (${mExpr}) <= ${SL} THEN (${mExpr}) ELSE 1 + ((${mExpr}) - ${SL} - 1) * ${STRIDE} END AS j OFFSET 0) sc0
  ${slideOf('sc0.j')}
  CROSS JOIN LATERAL (SELECT ${scanId('sc0.m')} AS scan_id, 'HSCN-' || lpad((1 + (sc0.m * 37) % 300)::text, 3, '0') AS scanner,
                             cs0.t + interval '20 hours' + sp.li * interval '10 minutes' + (sl0.n - 1) * interval '3 minutes'
                                   + sc0.rescan::int * interval '1 day' + (sc0.m % 60) * interval '1 second' AS scanned_at,
                             NOT (NOT sc0.rescan AND ${rescanned('sc0.j')}) AS passed,
                             ${uuid('scan', 'sc0.m')} AS scan_event_id, ${uuid('qc', 'sc0.m')} AS qc_event_id OFFSET 0) sc`;

/**
 * The charge of specimen `kExpr` as laterals ch0/ch: its scans (the passing one of each slide), status
 * history (held -> released or voided by a reviewer; posted -> credited when the case was cancelled;
 * SELFPAY kept unsent, voided by the rules on cancellation), when.
 */
const chargeOf = (kExpr) => `
  ${specimenOf(kExpr)}
  CROSS JOIN LATERAL (SELECT ${finalScan('sp.k')} AS m1, CASE WHEN sp.k + ${S} <= ${SL} THEN ${finalScan(`sp.k + ${S}`)} END AS m2,
                             cs1.payer IN ('MEDICARE', 'BCBS') AS was_held,
                             cs0.t + interval '20 hours' + sp.li * interval '10 minutes' + interval '8 minutes'
                                   + ((${rescanned('sp.k')}) OR (sp.k + ${S} <= ${SL} AND ${rescanned(`sp.k + ${S}`)}))::int * interval '1 day' AS created_at
                      OFFSET 0) ch0
  CROSS JOIN LATERAL (SELECT CASE WHEN ch0.was_held AND cs0.t >= ${HELD_SINCE} AND NOT cs1.cancelled THEN 'held'
                                  WHEN ch0.was_held AND sp.k % 20 = 0 THEN 'voided'
                                  WHEN cs1.payer = 'SELFPAY' THEN CASE WHEN cs1.cancelled THEN 'voided' ELSE 'do-not-send' END
                                  WHEN cs1.cancelled THEN 'credited' ELSE 'posted' END AS status OFFSET 0) ch1
  CROSS JOIN LATERAL (SELECT ${uuid('charge', 'sp.k')} AS charge_id, cs1.acc || '/' || sp.letter || '/' || sp.code AS charge_key,
                             ch1.status IN ('posted', 'credited') AS ever_posted,
                             ch0.was_held AND ch1.status IN ('posted', 'credited') AS released,
                             ch0.created_at + CASE WHEN ch0.was_held THEN interval '1 day 3 hours' ELSE interval '0' END AS posted_at,
                             CASE WHEN ch0.was_held THEN 'held' WHEN cs1.payer = 'SELFPAY' THEN 'do-not-send' ELSE 'posted' END AS first_status,
                             ARRAY[${scanId('ch0.m1')}] || CASE WHEN ch0.m2 IS NULL THEN '{}'::text[] ELSE ARRAY[${scanId('ch0.m2')}] END AS scan_ids,
                             ARRAY[cs1.acc || '-' || sp.letter || '1-1'] || CASE WHEN ch0.m2 IS NULL THEN '{}'::text[] ELSE ARRAY[cs1.acc || '-' || sp.letter || '1-2'] END AS barcodes,
                             cs0.t + interval '20 hours' + sp.li * interval '10 minutes' + interval '3 minutes' AS last_scan_at
                      OFFSET 0) ch`;

const CHARGE_TRACE = `jsonb_build_array(
    jsonb_build_object('rule', 'case', 'outcome', 'active', 'detail', 'case ' || cs1.acc || ' version ' || cs2.version || ' is active'),
    jsonb_build_object('rule', 'scans', 'outcome', 'billable', 'detail', array_length(ch.scan_ids, 1) || ' diagnostic scan(s) completed: ' || array_to_string(ch.scan_ids, ', ')),
    jsonb_build_object('rule', 'qc', 'outcome', 'passed', 'detail', 'every billed scan passed QC (rules 2025.1)'),
    jsonb_build_object('rule', 'add-on-code', 'outcome', sp.code, 'detail', 'primary ' || sp.cpt || ' -> add-on ' || sp.code),
    jsonb_build_object('rule', 'payer-policy', 'outcome', CASE WHEN ch0.was_held THEN 'hold' WHEN cs1.payer = 'SELFPAY' THEN 'do-not-send' ELSE 'bill' END,
                       'detail', 'payer ' || cs1.payer || ' under policy set 2025.1'),
    jsonb_build_object('rule', 'date-of-service', 'outcome', to_char(cs1.collection_date, 'YYYY-MM-DD'), 'detail', 'collection date of the case'))`;

const CHARGE_DATA = `jsonb_build_object('chargeId', ch.charge_id::text, 'chargeKey', ch.charge_key, 'transactionType', 'CG', 'accessionNumber', cs1.acc,
    'specimenId', sp.letter, 'code', sp.code, 'primaryCode', sp.cpt, 'units', sp.units, 'dateOfService', to_char(cs1.collection_date, 'YYYY-MM-DD'),
    'patientId', cs1.patient, 'payerId', cs1.payer, 'diagnoses', to_jsonb(cs1.diagnoses), 'slideBarcodes', to_jsonb(ch.barcodes), 'scanIds', to_jsonb(ch.scan_ids),
    'causedBy', jsonb_build_array(${uuid('qc', 'ch0.m1')}::text), 'postedAt', ${iso('ch.posted_at')}, 'modifiers', '[]'::jsonb, 'diagnosisPointers', '[1]'::jsonb,
    'performer', jsonb_build_object('step', 'scanning', 'taxonomy', '246QM0706X', 'description', 'Histotechnologist'),
    'policyVersion', '2025.1', 'payerPolicyId', lower(cs1.payer), 'flags', '[]'::jsonb, 'trace', ${CHARGE_TRACE})`;

const CASE_SNAPSHOT = (versionExpr, statusExpr) => `jsonb_build_object('accessionNumber', cs1.acc, 'status', ${statusExpr}, 'version', ${versionExpr},
    'patientId', cs1.patient, 'patient', jsonb_build_object('familyName', 'Seed' || (cs0.c % 997), 'givenName', 'Patient', 'birthDate', '1958-03-14', 'administrativeSex', 'F'),
    'payer', jsonb_build_object('payerId', cs1.payer), 'collectionDate', to_char(cs1.collection_date, 'YYYY-MM-DD'), 'diagnoses', to_jsonb(cs1.diagnoses),
    'specimens', (SELECT jsonb_agg(jsonb_build_object('specimenId', chr(65 + i), 'primaryCpt', ${cptOf(`cs0.c + i * ${C}`)}, 'units', 1 + ((cs0.c + i * ${C}) % 17 = 0)::int) ORDER BY i)
                    FROM generate_series(0, 3) i WHERE cs0.c + i * ${C} <= ${S}),
    'slides', (SELECT jsonb_agg(jsonb_build_object('barcode', cs1.acc || '-' || chr(65 + i) || '1-' || n, 'specimenId', chr(65 + i)) ORDER BY i, n)
                 FROM generate_series(0, 3) i, generate_series(1, 2) n WHERE cs0.c + i * ${C} <= ${S} AND (n = 1 OR cs0.c + i * ${C} + ${S} <= ${SL})))`;

/** Case events: one row per (case, version); v1 created, v2 updated (every 5th case), last cancelled. */
const caseEvents = `
  CROSS JOIN LATERAL generate_series(1, cs2.version) v
  CROSS JOIN LATERAL (SELECT CASE WHEN v = 1 THEN 'case.created' WHEN cs1.cancelled AND v = cs2.version THEN 'case.cancelled' ELSE 'case.updated' END AS type,
                             CASE WHEN v = 1 THEN cs0.t WHEN cs1.cancelled AND v = cs2.version THEN cs1.cancel_at ELSE cs0.t + interval '2 hours' END AS at,
                             ${uuid('case', `cs0.c || '.' || v`)} AS event_id OFFSET 0) ce`;

const SCAN_EVENT_DATA = `jsonb_build_object('scanId', sc.scan_id, 'slideBarcode', sl.barcode, 'scannerId', sc.scanner, 'scannedAt', ${iso('sc.scanned_at')},
    'purpose', 'diagnostic', 'receivedVia', 'http', 'sourceEventId', 'H-mw-' || sc0.m,
    'image', jsonb_build_object('imageId', sc.scan_id, 'fileSizeBytes', 900000000 + (sc0.m % 1000) * 1000000, 'focusScore', CASE WHEN sc.passed THEN 0.92 ELSE 0.41 END,
                                'tissueCoverage', 0.35, 'barcodeRead', true, 'stitchingErrors', 0, 'magnification', 40))`;
const QC_CHECKS = `jsonb_build_array(
    jsonb_build_object('rule', 'focus', 'passed', sc.passed, 'value', CASE WHEN sc.passed THEN 0.92 ELSE 0.41 END, 'threshold', '>= 0.7'),
    jsonb_build_object('rule', 'tissue', 'passed', true, 'value', 0.35, 'threshold', '>= 0.1'),
    jsonb_build_object('rule', 'file-size', 'passed', true, 'value', 900000000, 'threshold', '>= 1000000'),
    jsonb_build_object('rule', 'barcode', 'passed', true, 'value', true, 'threshold', 'read'),
    jsonb_build_object('rule', 'stitching', 'passed', true, 'value', 0, 'threshold', '<= 2'))`;
const QC_REASONS = `CASE WHEN sc.passed THEN ARRAY[]::text[] ELSE ARRAY['focus score 0.41 below 0.7'] END`;

// ---- the tables, in foreign-key order; each: table, columns, driving range, FROM + WHERE ----
const cases = (from) => `generate_series($1::bigint, $2::bigint) g ${caseOf('g')} ${from}`;
const specimens = (from) => `generate_series($1::bigint, $2::bigint) g ${specimenOf('g')} ${from}`;
const slides = (from) => `generate_series($1::bigint, $2::bigint) g ${slideOf('g')} ${from}`;
const scans = (from) => `generate_series($1::bigint, $2::bigint) g ${scanOf('g')} ${from}`;
const charges = (from) => `generate_series($1::bigint, $2::bigint) g ${chargeOf('g')} ${from}`;

const STEPS = [
  // accession
  { table: 'accession.case', rows: C, from: cases(''), columns: {
    accession_number: 'cs1.acc', status: 'cs2.status', version: 'cs2.version', patient_id: 'cs1.patient',
    patient_family_name: `'Seed' || (cs0.c % 997)`, patient_given_name: `'Patient'`, patient_birth_date: `DATE '1958-03-14'`, patient_administrative_sex: `'F'`,
    payer_id: 'cs1.payer', collection_date: 'cs1.collection_date', ordering_provider: `'Dr. Seed ' || (cs0.c % 211)`, ordering_provider_npi: `lpad((1000000000 + cs0.c % 211)::text, 10, '0')`,
    diagnoses: 'cs1.diagnoses', digital_sign_out: 'true', cancel_reason: `CASE WHEN cs1.cancelled THEN 'ordered in error' END`,
    created_at: 'cs0.t', updated_at: `CASE WHEN cs1.cancelled THEN cs1.cancel_at WHEN cs2.version = 2 THEN cs0.t + interval '2 hours' ELSE cs0.t END`,
    trace_id: `md5('H:trace:case:' || cs0.c)` } },
  { table: 'accession.specimen', rows: S, from: specimens(''), columns: {
    accession_number: 'cs1.acc', specimen_id: 'sp.letter', description: `'Part ' || sp.letter`, primary_cpt: 'sp.cpt', units: 'sp.units' } },
  { table: 'accession.slide', rows: SL, from: slides(''), columns: {
    accession_number: 'cs1.acc', barcode: 'sl.barcode', specimen_id: 'sp.letter', block: `sp.letter || '1'`, stain: `'H&E'`, case_active: 'NOT cs1.cancelled' } },
  { table: 'accession.outbox', rows: C, from: cases(caseEvents), columns: {
    id: 'ce.event_id', topic: `'lis.case-events.v1'`, key: 'cs1.acc',
    payload: envelope('ce.event_id', 'ce.type', 'ce.at', 'accession', 'case', `cs0.c || '.' || v`,
      CASE_SNAPSHOT('v', `CASE WHEN ce.type = 'case.cancelled' THEN 'cancelled' ELSE 'active' END`)),
    headers: headers('ce.type', 'accession', 'case', `cs0.c || '.' || v`), created_at: 'ce.at', published_at: `ce.at + interval '40 milliseconds'`, attempts: '1' } },
  // scanner-events
  { table: 'scanner.scan_event_receipt', rows: SC, from: scans(''), columns: {
    event_id: `'H-mw-' || sc0.m`, scan_id: 'sc.scan_id', slide_barcode: 'sl.barcode', event_type: `'scan.completed'`, scanner_id: 'sc.scanner',
    occurred_at: 'sc.scanned_at', received_via: `'http'`, received_at: `sc.scanned_at + interval '1 second'`,
    payload: `jsonb_build_object('eventId', 'H-mw-' || sc0.m, 'eventType', 'scan.completed', 'occurredAt', ${iso('sc.scanned_at')}, 'slideBarcode', sl.barcode,
      'scannerId', sc.scanner, 'scanId', sc.scan_id, 'purpose', 'diagnostic', 'image', (${SCAN_EVENT_DATA})->'image')`,
    trace_id: `md5('H:trace:scan:' || sc0.m)` } },
  { table: 'scanner.outbox', rows: SC, from: scans(''), columns: {
    id: 'sc.scan_event_id', topic: `'scan.events.v1'`, key: 'sl.barcode',
    payload: envelope('sc.scan_event_id', `'scan.completed'`, 'sc.scanned_at', 'scanner-events', 'scan', 'sc0.m', SCAN_EVENT_DATA),
    headers: headers(`'scan.completed'`, 'scanner-events', 'scan', 'sc0.m'), created_at: `sc.scanned_at + interval '1 second'`,
    published_at: `sc.scanned_at + interval '1040 milliseconds'`, attempts: '1' } },
  // qc
  { table: 'qc.qc_result', rows: SC, from: scans(''), columns: {
    scan_id: 'sc.scan_id', slide_barcode: 'sl.barcode', scan_event_id: 'sc.scan_event_id::text', passed: 'sc.passed', reasons: `to_jsonb(${QC_REASONS})`,
    checks: QC_CHECKS, rules_version: `'2025.1'`, evaluated_at: `sc.scanned_at + interval '40 seconds'`, trace_id: `md5('H:trace:scan:' || sc0.m)` } },
  { table: 'qc.outbox', rows: SC, from: scans(''), columns: {
    id: 'sc.qc_event_id', topic: `'qc.results.v1'`, key: 'sl.barcode',
    payload: envelope('sc.qc_event_id', `CASE WHEN sc.passed THEN 'qc.passed' ELSE 'qc.failed' END`, `sc.scanned_at + interval '40 seconds'`, 'qc', 'qc', 'sc0.m',
      `jsonb_build_object('scanId', sc.scan_id, 'slideBarcode', sl.barcode, 'scanEventId', sc.scan_event_id::text, 'rulesVersion', '2025.1', 'checks', ${QC_CHECKS}, 'reasons', to_jsonb(${QC_REASONS}))`),
    headers: headers(`CASE WHEN sc.passed THEN 'qc.passed' ELSE 'qc.failed' END`, 'qc', 'qc', 'sc0.m'),
    created_at: `sc.scanned_at + interval '40 seconds'`, published_at: `sc.scanned_at + interval '40040 milliseconds'`, attempts: '1' } },
  { table: 'qc.consumed_event', rows: SC, from: scans(''), columns: {
    consumer: `'qc'`, event_id: 'sc.scan_event_id::text', topic: `'scan.events.v1'`, consumed_at: `sc.scanned_at + interval '40 seconds'` } },
  // billing
  { table: 'billing.billing_case', rows: C, from: cases(''), columns: {
    accession_number: 'cs1.acc', version: 'cs2.version', status: 'cs2.status', patient_id: 'cs1.patient',
    patient: `jsonb_build_object('familyName', 'Seed' || (cs0.c % 997), 'givenName', 'Patient', 'birthDate', '1958-03-14', 'administrativeSex', 'F')`,
    payer_id: 'cs1.payer', ordering_provider: `'Dr. Seed ' || (cs0.c % 211)`, ordering_provider_npi: `lpad((1000000000 + cs0.c % 211)::text, 10, '0')`,
    collection_date: 'cs1.collection_date', diagnoses: 'cs1.diagnoses', flags: `'{"digitalSignOut": true}'::jsonb`,
    updated_at: `CASE WHEN cs1.cancelled THEN cs1.cancel_at WHEN cs2.version = 2 THEN cs0.t + interval '2 hours' ELSE cs0.t END`, first_seen_at: 'cs0.t' } },
  { table: 'billing.billing_specimen', rows: S, from: specimens(''), columns: {
    accession_number: 'cs1.acc', specimen_id: 'sp.letter', primary_cpt: 'sp.cpt', units: 'sp.units' } },
  { table: 'billing.billing_slide', rows: SL, from: slides(''), columns: {
    barcode: 'sl.barcode', accession_number: 'cs1.acc', specimen_id: 'sp.letter', assigned_at: 'cs0.t' } },
  // worklist_state stays NULL (not on the unmatched-scans work list): every seeded scan came after its
  // case took the slide. A seeded scan of a slide no case holds would need it set ('open').
  { table: 'billing.scan', rows: SC, from: scans(''), columns: {
    scan_id: 'sc.scan_id', slide_barcode: 'sl.barcode', status: `'completed'`, purpose: `'diagnostic'`, scanner_id: 'sc.scanner', scanned_at: 'sc.scanned_at',
    source_event_id: 'sc.scan_event_id::text', received_at: `sc.scanned_at + interval '2 seconds'` } },
  { table: 'billing.qc_outcome', rows: SC, from: scans(''), columns: {
    scan_id: 'sc.scan_id', source_event_id: 'sc.qc_event_id::text', slide_barcode: 'sl.barcode', passed: 'sc.passed', reasons: QC_REASONS,
    rules_version: `'2025.1'`, recorded_at: `sc.scanned_at + interval '41 seconds'` } },
  { table: 'billing.charge', rows: S, from: charges(''), columns: {
    charge_id: 'ch.charge_id', charge_key: 'ch.charge_key', generation: '1', accession_number: 'cs1.acc', specimen_id: 'sp.letter', code: 'sp.code', primary_code: 'sp.cpt',
    units: 'sp.units', date_of_service: 'cs1.collection_date', patient_id: 'cs1.patient', payer_id: 'cs1.payer', diagnoses: 'cs1.diagnoses', diagnosis_pointers: `'{1}'`,
    performer_taxonomy: `'246QM0706X'`, performer_name: `'Histotechnologist'`, policy_version: `'2025.1'`, payer_policy_id: 'lower(cs1.payer)',
    hold_reasons: `CASE WHEN ch0.was_held THEN jsonb_build_array(jsonb_build_object('rule', 'payer-review', 'detail', cs1.payer || ' digitization charges are reviewed before release')) ELSE '[]'::jsonb END`,
    slide_barcodes: 'ch.barcodes', scan_ids: 'ch.scan_ids', caused_by: `ARRAY[${uuid('qc', 'ch0.m1')}::text]`, trace: CHARGE_TRACE, status: 'ch1.status',
    posted_at: 'CASE WHEN ch.ever_posted THEN ch.posted_at END',
    release: `CASE WHEN ch.released THEN jsonb_build_object('by', 'reviewer' || (sp.k % 7), 'justification', 'documentation checked', 'at', ${iso('ch.posted_at')}) END`,
    status_changed_at: `CASE ch1.status WHEN 'credited' THEN cs1.cancel_at WHEN 'held' THEN ch0.created_at WHEN 'voided' THEN CASE WHEN cs1.cancelled AND NOT ch0.was_held THEN cs1.cancel_at ELSE ch0.created_at + interval '1 day' END ELSE ch.posted_at END`,
    created_at: 'ch0.created_at', trace_id: `md5('H:trace:qc:' || ch0.m1)` } },
  { table: 'billing.credit', rows: S, from: charges(`WHERE ch1.status = 'credited'`), columns: {
    credit_id: `${uuid('credit', 'sp.k')}`, credit_for: 'ch.charge_id', reason: `'case-cancelled'`, detail: `'case ' || cs1.acc || ' was cancelled: ordered in error'`,
    caused_by: `ARRAY[${uuid('case', `cs0.c || '.' || cs2.version`)}::text]`,
    trace: `jsonb_build_array(jsonb_build_object('rule', 'reversal', 'outcome', 'credit', 'detail', 'case-cancelled: ' || ch.charge_id))`,
    created_at: 'cs1.cancel_at', trace_id: `md5('H:trace:case:' || cs0.c)` } },
  { table: 'billing.charge_audit', rows: S, from: charges(`
      CROSS JOIN LATERAL (VALUES
        (1, ch0.created_at, 'billing-rules', 'created', NULL, ch.first_status, 'decided under policy 2025.1', ${uuid('qc', 'ch0.m1')}::text, true),
        (2, ch.posted_at, 'reviewer' || (sp.k % 7), 'released', 'held', 'posted', 'documentation checked', NULL, ch.released),
        (3, ch0.created_at + interval '1 day', 'reviewer' || (sp.k % 7), 'voided', 'held', 'voided', 'not medically necessary', NULL, ch0.was_held AND ch1.status = 'voided'),
        (4, cs1.cancel_at, 'billing-rules', 'voided', 'do-not-send', 'voided', 'case-cancelled: case ' || cs1.acc, ${uuid('case', `cs0.c || '.' || cs2.version`)}::text, NOT ch0.was_held AND ch1.status = 'voided'),
        (5, cs1.cancel_at, 'billing-rules', 'credited', 'posted', 'credited', 'case-cancelled: case ' || cs1.acc, ${uuid('case', `cs0.c || '.' || cs2.version`)}::text, ch1.status = 'credited')
      ) a(ord, at, actor, action, from_status, to_status, reason, event_id, present)
      WHERE a.present`), columns: {
    charge_id: 'ch.charge_id', at: 'a.at', actor: 'a.actor', action: 'a.action', from_status: 'a.from_status', to_status: 'a.to_status', reason: 'a.reason', event_id: 'a.event_id' },
    orderBy: 'g, a.ord' },
  { table: 'billing.delivery', rows: S, from: charges(`
      CROSS JOIN LATERAL (VALUES ('charge', NULL::uuid, ch.posted_at, 'HC' || lpad(sp.k::text, 9, '0'), true),
                                 ('credit', ${uuid('credit', 'sp.k')}, cs1.cancel_at, 'HD' || lpad(sp.k::text, 9, '0'), ch1.status = 'credited')
      ) d(kind, credit_id, at, control_id, present)
      WHERE ch.ever_posted AND d.present`), columns: {
    id: `${uuid('delivery', `d.kind || ':' || sp.k`)}`, kind: 'd.kind', charge_id: 'ch.charge_id', credit_id: 'd.credit_id', accession_number: 'cs1.acc',
    message_control_id: 'd.control_id', depends_on: `CASE WHEN d.kind = 'credit' THEN ${uuid('delivery', `'charge:' || sp.k`)} END`,
    state: `'acked'`, attempts: '1', next_attempt_at: 'd.at', claimed_by: `'billing-1'`, last_outcome: `'AA'`,
    message: `'MSH|^~\\&|SLIDECHARGE|LAB|BILLING|HOSP|' || to_char(d.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || '||DFT^P03^DFT_P03|' || d.control_id || '|P|2.5.1' || chr(13) ||
      'EVN|P03|' || to_char(d.at AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS') || chr(13) || 'PID|1||' || cs1.patient || '^^^HOSP||Seed' || (cs0.c % 997) || '^Patient||19580314|F' || chr(13) ||
      'FT1|1|' || sp.k || '||' || to_char(cs1.collection_date, 'YYYYMMDD') || '||' || CASE d.kind WHEN 'charge' THEN 'CG' ELSE 'CD' END || '|' || sp.code || '|||' || sp.units || chr(13) ||
      'IN1|1|' || cs1.payer || '||' || cs1.payer`,
    acked_at: `d.at + interval '5 seconds'`, created_at: 'd.at', updated_at: `d.at + interval '5 seconds'` }, orderBy: 'g, d.kind' },
  { table: 'billing.delivery_attempt', rows: S, from: charges(`
      CROSS JOIN LATERAL (VALUES ('charge', ch.posted_at, true), ('credit', cs1.cancel_at, ch1.status = 'credited')) d(kind, at, present)
      WHERE ch.ever_posted AND d.present`), columns: {
    delivery_id: `${uuid('delivery', `d.kind || ':' || sp.k`)}`, attempt: '1', started_at: `d.at + interval '1 second'`, finished_at: `d.at + interval '1200 milliseconds'`,
    outcome: `'AA'`, ack: `'MSH|^~\\&|BILLING|HOSP|SLIDECHARGE|LAB|||ACK^P03|A' || sp.k || '|P|2.5.1' || chr(13) || 'MSA|AA|' || CASE d.kind WHEN 'charge' THEN 'HC' ELSE 'HD' END || lpad(sp.k::text, 9, '0')`,
    sent_by: `'billing-1'` }, orderBy: 'g, d.kind' },
  { table: 'billing.outbox', rows: S, from: charges(`
      CROSS JOIN LATERAL (VALUES ('charge.posted', ${uuid('charge-posted', 'sp.k')}, ch.posted_at, true),
                                 ('charge.credited', ${uuid('charge-credited', 'sp.k')}, cs1.cancel_at, ch1.status = 'credited')) e(type, event_id, at, present)
      WHERE ch.ever_posted AND e.present`), columns: {
    id: 'e.event_id', topic: `'billing.charges.v1'`, key: 'cs1.acc',
    payload: envelope('e.event_id', 'e.type', 'e.at', 'billing', 'charge', 'sp.k',
      `CASE WHEN e.type = 'charge.posted' THEN ${CHARGE_DATA}
            ELSE jsonb_build_object('creditId', ${uuid('credit', 'sp.k')}::text, 'transactionType', 'CD', 'creditFor', ch.charge_id::text, 'chargeKey', ch.charge_key,
                   'accessionNumber', cs1.acc, 'specimenId', sp.letter, 'code', sp.code, 'primaryCode', sp.cpt, 'units', sp.units,
                   'dateOfService', to_char(cs1.collection_date, 'YYYY-MM-DD'), 'patientId', cs1.patient, 'payerId', cs1.payer, 'modifiers', '[]'::jsonb,
                   'diagnoses', to_jsonb(cs1.diagnoses), 'reason', 'case-cancelled', 'detail', 'case ' || cs1.acc || ' was cancelled',
                   'causedBy', '[]'::jsonb, 'creditedAt', ${iso('e.at')}, 'trace', '[]'::jsonb) END`),
    headers: headers('e.type', 'billing', 'charge', 'sp.k'), created_at: 'e.at', published_at: `e.at + interval '40 milliseconds'`, attempts: '1' }, orderBy: 'g, e.type DESC' },
  { table: 'billing.consumed_event', rows: C, from: cases(caseEvents), columns: {
    consumer: `'billing'`, event_id: 'ce.event_id::text', topic: `'lis.case-events.v1'`, consumed_at: `ce.at + interval '100 milliseconds'` }, label: 'case events' },
  { table: 'billing.consumed_event', rows: SC, from: scans(''), columns: {
    consumer: `'billing'`, event_id: 'sc.scan_event_id::text', topic: `'scan.events.v1'`, consumed_at: `sc.scanned_at + interval '2 seconds'` }, label: 'scan events' },
  { table: 'billing.consumed_event', rows: SC, from: scans(''), columns: {
    consumer: `'billing'`, event_id: 'sc.qc_event_id::text', topic: `'qc.results.v1'`, consumed_at: `sc.scanned_at + interval '41 seconds'` }, label: 'qc events' },
  // ops console
  { table: 'ops_console.case_version_fact', rows: C, from: cases(caseEvents), columns: {
    event_id: 'ce.event_id::text', accession_number: 'cs1.acc', version: 'v', type: 'ce.type', occurred_at: 'ce.at', trace_id: `md5('H:trace:case:' || cs0.c)` } },
  { table: 'ops_console.case_first_seen', rows: C, from: cases(''), columns: { accession_number: 'cs1.acc', first_occurred_at: 'cs0.t' } },
  { table: 'ops_console.scan_fact', rows: SC, from: scans(''), columns: {
    scan_id: 'sc.scan_id', type: `'scan.completed'`, slide_barcode: 'sl.barcode', scanner_id: 'sc.scanner', scanned_at: 'sc.scanned_at', rescan: 'sc0.rescan',
    event_id: 'sc.scan_event_id::text' } },
  { table: 'ops_console.qc_fact', rows: SC, from: scans(''), columns: {
    scan_id: 'sc.scan_id', slide_barcode: 'sl.barcode', passed: 'sc.passed', failed_rules: `CASE WHEN sc.passed THEN ARRAY[]::text[] ELSE ARRAY['focus'] END`,
    at: `sc.scanned_at + interval '40 seconds'`, event_id: 'sc.qc_event_id::text' } },
  { table: 'ops_console.charge_fact', rows: S, from: charges('WHERE ch.ever_posted'), columns: {
    charge_id: 'ch.charge_id', code: 'sp.code', payer_id: 'cs1.payer', units: 'sp.units', accession_number: 'cs1.acc', posted_at: 'ch.posted_at', scan_ids: 'ch.scan_ids',
    scan_to_charge_seconds: `EXTRACT(EPOCH FROM ch.posted_at - ch.last_scan_at)::float8`, case_to_charge_seconds: `EXTRACT(EPOCH FROM ch.posted_at - cs0.t)::float8`,
    trace_id: `md5('H:trace:qc:' || ch0.m1)`, event_id: `${uuid('charge-posted', 'sp.k')}::text` } },
  { table: 'ops_console.credit_fact', rows: S, from: charges(`WHERE ch1.status = 'credited'`), columns: {
    credit_id: `${uuid('credit', 'sp.k')}`, credit_for: 'ch.charge_id', code: 'sp.code', payer_id: 'cs1.payer', units: 'sp.units', accession_number: 'cs1.acc',
    reason: `'case-cancelled'`, credited_at: 'cs1.cancel_at', event_id: `${uuid('charge-credited', 'sp.k')}::text` } },
  { table: 'ops_console.consumed_event', rows: C, from: cases(caseEvents), columns: {
    consumer: `'ops-console'`, event_id: 'ce.event_id::text', topic: `'lis.case-events.v1'`, consumed_at: `ce.at + interval '100 milliseconds'` }, label: 'case events' },
  { table: 'ops_console.consumed_event', rows: SC, from: scans(''), columns: {
    consumer: `'ops-console'`, event_id: 'sc.scan_event_id::text', topic: `'scan.events.v1'`, consumed_at: `sc.scanned_at + interval '2 seconds'` }, label: 'scan events' },
  { table: 'ops_console.consumed_event', rows: SC, from: scans(''), columns: {
    consumer: `'ops-console'`, event_id: 'sc.qc_event_id::text', topic: `'qc.results.v1'`, consumed_at: `sc.scanned_at + interval '41 seconds'` }, label: 'qc events' },
  { table: 'ops_console.consumed_event', rows: S, from: charges(`
      CROSS JOIN LATERAL (VALUES (${uuid('charge-posted', 'sp.k')}, ch.posted_at, true), (${uuid('charge-credited', 'sp.k')}, cs1.cancel_at, ch1.status = 'credited')) e(event_id, at, present)
      WHERE ch.ever_posted AND e.present`), columns: {
    consumer: `'ops-console'`, event_id: 'e.event_id::text', topic: `'billing.charges.v1'`, consumed_at: `e.at + interval '100 milliseconds'` }, label: 'charge events' },
];

/** Where a seeded row would be found, per service: the script refuses to seed on top of any. */
const SEEDED_MARKERS = [
  ['accession.case', `accession_number ~ '^H[0-9]{2}-[0-9]{7}$'`],
  ['scanner.scan_event_receipt', `event_id LIKE 'H-mw-%'`],
  ['qc.qc_result', `scan_id LIKE 'HSCAN-%'`],
  ['billing.billing_case', `accession_number ~ '^H[0-9]{2}-[0-9]{7}$'`],
  ['billing.charge', `accession_number ~ '^H[0-9]{2}-[0-9]{7}$'`],
  ['ops_console.case_first_seen', `accession_number ~ '^H[0-9]{2}-[0-9]{7}$'`],
];

const quote = (qualified) => qualified.split('.').map((p) => `"${p}"`).join('.');

function insertSql(step) {
  const names = Object.keys(step.columns);
  return `INSERT INTO ${quote(step.table)} (${names.map((n) => `"${n}"`).join(', ')})
          SELECT ${names.map((n) => step.columns[n]).join(',\n                 ')}
            FROM ${step.from}
           ORDER BY ${step.orderBy ?? 'g'}`;
}

const seconds = (ms) => (ms / 1000).toFixed(1);

async function main() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const database = (await client.query('SELECT current_database() AS d')).rows[0].d;
  console.log(`[seed-history] database ${database} at ${new URL(databaseUrl).host}, scale ${scale}: ${C} cases, ${S} specimens/charges, ${SL} slides, ${SC} scans (${R} rescans)`);
  await refuseIfSeeded(client, database);
  await client.query(`SET TimeZone = 'UTC'; SET synchronous_commit = off; SET work_mem = '64MB'; SET maintenance_work_mem = '512MB'; SET session_replication_role = replica`);
  const started = Date.now();
  const inserted = new Map();
  for (const step of STEPS) {
    const sql = insertSql(step);
    const label = `${step.table}${step.label ? ` (${step.label})` : ''}`;
    const t0 = Date.now();
    let rows = 0;
    let lastSaid = t0;
    for (let lo = 1; lo <= step.rows; lo += batch) {
      const hi = Math.min(step.rows, lo + batch - 1);
      const result = await client.query(sql, [lo, hi]);
      rows += result.rowCount;
      if (Date.now() - lastSaid > 10_000 && hi < step.rows) {
        console.log(`[seed-history]   ${label}: ${hi}/${step.rows} driving rows, ${rows} inserted, ${seconds(Date.now() - t0)} s`);
        lastSaid = Date.now();
      }
    }
    inserted.set(step.table, (inserted.get(step.table) ?? 0) + rows);
    console.log(`[seed-history] ${label}: ${rows} rows in ${seconds(Date.now() - t0)} s (total ${seconds(Date.now() - started)} s)`);
  }
  await client.query('SET session_replication_role = DEFAULT');
  const insertSeconds = seconds(Date.now() - started);
  const tables = [...inserted.keys()];
  const t1 = Date.now();
  const vacuum = args['no-vacuum'] ? 'ANALYZE' : 'VACUUM (ANALYZE)';
  for (const table of tables) await client.query(`${vacuum} ${quote(table)}`);
  console.log(`[seed-history] ${vacuum} of ${tables.length} tables: ${seconds(Date.now() - t1)} s`);
  console.log(`[seed-history] done in ${seconds(Date.now() - started)} s (inserts ${insertSeconds} s)`);
  await report(client, inserted);
  await client.end();
}

async function refuseIfSeeded(client, database) {
  const found = [];
  for (const [table, where] of SEEDED_MARKERS) {
    const { rows } = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [table]);
    if (!rows[0].present) {
      console.error(`[seed-history] ${database} has no table ${table}: run the migrations first (node scripts/prisma.mjs migrate)`);
      process.exit(1);
    }
    const { rows: hit } = await client.query(`SELECT EXISTS (SELECT 1 FROM ${quote(table)} WHERE ${where}) AS seeded`);
    if (hit[0].seeded) found.push(`${table} (${where})`);
  }
  if (found.length) {
    console.error(`[seed-history] refused: ${database} already has seeded rows in ${found.join(', ')}.\n` +
      `Seed a fresh database instead: dropdb ${database}, then node scripts/prisma.mjs migrate with DATABASE_URL pointing at it.`);
    process.exit(3);
  }
}

/** Rows inserted and the size of each table written (heap + indexes + TOAST), as a markdown table. */
async function report(client, inserted) {
  const { rows } = await client.query(
    `SELECT t AS table, pg_total_relation_size(t::regclass) AS total, pg_relation_size(t::regclass) AS heap, pg_indexes_size(t::regclass) AS indexes
       FROM unnest($1::text[]) t ORDER BY 1`,
    [[...inserted.keys()]],
  );
  const mb = (b) => (Number(b) / 1048576).toFixed(0);
  console.log('\n| table | rows seeded | total MB | heap MB | indexes MB |\n|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.table} | ${inserted.get(r.table)} | ${mb(r.total)} | ${mb(r.heap)} | ${mb(r.indexes)} |`);
  const { rows: db } = await client.query('SELECT pg_database_size(current_database()) AS size');
  console.log(`\ndatabase size: ${(Number(db[0].size) / 1073741824).toFixed(2)} GB`);
}

main().catch((e) => {
  console.error(`[seed-history] failed: ${e.message}`);
  if (e.position) console.error('(at SQL position', e.position, ')');
  process.exit(1);
});
