#!/usr/bin/env node
// EXPLAIN (ANALYZE, BUFFERS) of the queries the services run per event (each consumer, the HTTP
// ingest, the outbox relay, the inbox) and per page of their busiest lists, on a database filled with
// history (scripts/seed-history.mjs). Per query: the plan's top node, the sequential scans on tables of
// more than 10,000 rows (estimated, pg_class.reltuples), the scans that read and threw away more than
// 10,000 rows (an index walked with a filter: the same cost as a seq scan, in another shape), the
// execution time. Exits 1 when a query does either: on a hot path that cost grows with history.
//
//   node scripts/explain-hot-queries.mjs [--database-url url] [--only substring] [--plans]
//
// The SQL is copied here from the code it names (Prisma calls written out as the SQL Prisma sends);
// keep it in step when that code changes. Writes run inside a transaction that is rolled back, with
// sample values taken from the seeded rows (the most recent seeded case, its slides, scans, charges).
// Plans are the custom plans of these values; Prisma's prepared statements may switch to a generic
// plan after five runs, which these indexes serve the same way (equality and range predicates).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { parseArgs } from './bench/args.mjs';

const args = parseArgs(process.argv.slice(2));
const databaseUrl = typeof args['database-url'] === 'string' ? args['database-url'] : process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/slidecharge';
const LARGE = 10_000;

/** Sample values the queries run with: a recent seeded case and what hangs off it. */
async function samples(client) {
  const one = async (sql, ...params) => (await client.query(sql, params)).rows[0] ?? {};
  // The most recent seeded case with a posted charge, and that charge's first scan.
  const charge = await one(`SELECT charge_id::text AS id, accession_number AS acc, scan_ids[1] AS scan_id, slide_barcodes[1] AS barcode
                              FROM billing.charge WHERE status = 'posted' AND accession_number ~ '^H[0-9]{2}-' ORDER BY created_at DESC LIMIT 1`);
  if (!charge.acc) throw new Error('no seeded charge found: run scripts/seed-history.mjs first');
  const kase = await one(`SELECT accession_number AS acc, patient_id AS patient, to_char(collection_date, 'YYYY-MM-DD') AS dos
                            FROM billing.billing_case WHERE accession_number = $1`, charge.acc);
  const slide = { barcode: charge.barcode };
  const scan = { scan_id: charge.scan_id };
  const middle = await one(`SELECT created_at FROM billing.charge ORDER BY created_at OFFSET (SELECT count(*) / 2 FROM billing.charge) LIMIT 1`);
  return {
    acc: kase.acc,
    patient: kase.patient,
    dos: kase.dos,
    barcode: slide.barcode,
    scanId: scan.scan_id,
    chargeId: charge.id,
    cursorAt: middle.created_at.toISOString(),
    newId: () => randomUUID(),
    now: new Date().toISOString(),
    dayAgo: new Date(Date.now() - 86_400_000).toISOString(),
    weekAgo: new Date(Date.now() - 7 * 86_400_000).toISOString(),
  };
}

const LIVE = ['held', 'posted', 'do-not-send'];
const outboxInsert = (schema) => (s) => [
  `INSERT INTO "${schema}".outbox (id, topic, key, payload, headers) VALUES ($1::uuid, $2, $3, $4::jsonb, $5::jsonb)`,
  [s.newId(), 'x.v1', s.acc, '{"eventId": "x"}', '{}'],
];
const consumed = (schema, consumer) => (s) => [
  `INSERT INTO "${schema}".consumed_event (consumer, event_id, topic)
     SELECT $1, e.event_id, e.topic FROM (SELECT DISTINCT ON (event_id) event_id, topic FROM unnest($2::text[], $3::text[]) AS u(event_id, topic)) e
      WHERE NOT EXISTS (SELECT 1 FROM "${schema}".consumed_event c WHERE c.consumer = $1 AND c.event_id = e.event_id)
   RETURNING event_id`,
  [consumer, [s.newId(), s.newId()], ['scan.events.v1', 'scan.events.v1']],
];
const relay = (schema) => [
  { name: `${schema}: relay candidates`, where: 'libs/messaging/src/outbox.ts OutboxRelay.relayPass',
    q: () => [`SELECT id::text AS id, (octet_length(key) + octet_length(payload::text) + octet_length(headers::text))::int AS size
                 FROM "${schema}".outbox WHERE published_at IS NULL AND parked_at IS NULL
                  AND (SELECT pg_try_advisory_xact_lock($2::int, hashtext($3))) ORDER BY seq LIMIT $1`, [200, 0x4f555442, schema]] },
  { name: `${schema}: relay deletes published`, where: 'libs/messaging/src/outbox.ts OutboxRelay.record', write: true,
    q: (s) => [`DELETE FROM "${schema}".outbox WHERE id = ANY($1::uuid[])`, [[s.newId(), s.newId()]]] },
  { name: `${schema}: relay marks published (OUTBOX_RETENTION_DAYS > 0)`, where: 'libs/messaging/src/outbox.ts OutboxRelay.record', write: true,
    q: (s) => [`UPDATE "${schema}".outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`, [[s.newId(), s.newId()]]] },
  { name: `${schema}: outbox backlog`, where: 'libs/messaging/src/outbox.ts OutboxRelay.backlog (metrics, readiness)',
    q: () => [`SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float AS oldest_seconds
                 FROM "${schema}".outbox WHERE published_at IS NULL AND parked_at IS NULL`, []] },
  { name: `${schema}: outbox parked`, where: 'libs/messaging/src/outbox.ts OutboxRelay.parkedCount',
    q: () => [`SELECT count(*)::int AS parked FROM "${schema}".outbox WHERE parked_at IS NOT NULL AND published_at IS NULL`, []] },
];

/** name, where in the code, whether it writes (rolled back), and (samples) => [sql, params]. */
const QUERIES = [
  // ---- scanner-events: HTTP, DICOM and ingress-topic batches (scan-ingest.service.ts record) ----
  { name: 'scanner: insert receipts', where: 'services/scanner-events/src/scan-events/receipt.repository.ts insertNew', write: true,
    q: (s) => [`INSERT INTO "scanner".scan_event_receipt (event_id, scan_id, slide_barcode, event_type, scanner_id, occurred_at, payload, trace_id, received_via, api_client_id, dicom)
                SELECT r.event_id, r.scan_id, r.slide_barcode, r.event_type, r.scanner_id, r.occurred_at, r.payload, r.trace_id, $9, $10, $11::jsonb
                  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[], $8::text[])
                       AS r(event_id, scan_id, slide_barcode, event_type, scanner_id, occurred_at, payload, trace_id)
                ON CONFLICT DO NOTHING RETURNING event_id`,
      [[s.newId(), s.newId()], [s.newId(), s.newId()], [s.barcode, s.barcode], ['scan.completed', 'scan.completed'], ['HSCN-001', 'HSCN-001'], [s.now, s.now], ['{}', '{}'], [null, null], 'http', null, null]] },
  { name: 'scanner: mark consumed (ingress topic)', where: 'libs/messaging/src/exactly-once.ts markConsumedBatch (scan-ingest.service.ts)', write: true, q: consumed('scanner', 'scanner-events') },
  { name: 'scanner: write outbox', where: 'libs/messaging/src/outbox.ts writeOutbox (scan-ingest.service.ts)', write: true, q: outboxInsert('scanner') },
  { name: 'scanner: earlier completed scans of the slides', where: 'services/scanner-events/src/scan-events/receipt.repository.ts completedScans',
    q: (s) => [`SELECT DISTINCT slide_barcode, scan_id FROM "scanner".scan_event_receipt
                 WHERE slide_barcode = ANY($1::text[]) AND event_type = 'scan.completed' AND event_id <> ALL($2::text[])`, [[s.barcode], [s.newId()]]] },
  { name: 'scanner: first copies of repeats', where: 'services/scanner-events/src/scan-events/receipt.repository.ts firstCopies',
    q: () => [`SELECT event_id AS "eventId", scan_id AS "scanId", received_via AS "receivedVia", received_at AS "receivedAt", payload
                 FROM "scanner".scan_event_receipt WHERE event_id = ANY($1::text[])`, [['H-mw-12345']]] },
  ...relay('scanner'),

  // ---- qc: per batch of scan events (qc.service.ts judgeScans) ----
  { name: 'qc: mark consumed', where: 'libs/messaging/src/exactly-once.ts markConsumedBatch (qc.service.ts)', write: true, q: consumed('qc', 'qc') },
  { name: 'qc: insert verdicts', where: 'services/qc/src/qc/qc.repository.ts insertAllIfNew', write: true,
    q: (s) => [`INSERT INTO qc.qc_result (scan_id, slide_barcode, scan_event_id, passed, reasons, checks, rules_version, evaluated_at, trace_id)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[], $6::jsonb[], $7::text[], $8::timestamptz[], $9::text[])
                ON CONFLICT DO NOTHING RETURNING scan_event_id`,
      [[s.newId()], [s.barcode], [s.newId()], [true], ['[]'], ['[]'], ['2025.1'], [s.now], [null]]] },
  { name: 'qc: write outbox', where: 'libs/messaging/src/outbox.ts writeOutbox (qc.service.ts)', write: true, q: outboxInsert('qc') },
  ...relay('qc'),
  { name: 'qc: GET /qc/results page', where: 'services/qc/src/qc/qc.repository.ts list (failed, newest first)',
    q: () => [`SELECT * FROM qc.qc_result WHERE passed = false ORDER BY evaluated_at DESC, scan_id DESC LIMIT 51`, []] },
  { name: 'qc: GET /qc/results first page (all)', where: 'services/qc/src/qc/qc.repository.ts list (no passed filter, newest first)',
    q: () => [`SELECT * FROM qc.qc_result ORDER BY evaluated_at DESC, scan_id DESC LIMIT 51`, []] },
  { name: 'qc: GET /qc/results next page', where: 'services/qc/src/qc/qc.repository.ts list (cursor: evaluatedAt lte, and lt OR scanId lt)',
    q: (s) => [`SELECT * FROM qc.qc_result WHERE evaluated_at <= $1::timestamptz AND (evaluated_at < $1::timestamptz OR scan_id < $2)
                 ORDER BY evaluated_at DESC, scan_id DESC LIMIT 51`, [s.cursorAt, 'HSCAN-99999999']] },
  { name: 'qc: results of a slide', where: 'services/qc/src/qc/qc.repository.ts listBySlide',
    q: (s) => [`SELECT * FROM qc.qc_result WHERE slide_barcode = $1 ORDER BY evaluated_at DESC, scan_id DESC`, [s.barcode]] },

  // ---- accession: case writes (cases.service.ts via case.repository.ts) ----
  { name: 'accession: lock case', where: 'services/accession/src/cases/case.repository.ts lockAndFind', write: true,
    q: (s) => [`SELECT version FROM "accession"."case" WHERE accession_number = $1 FOR UPDATE`, [s.acc]] },
  { name: 'accession: case specimens', where: 'case.repository.ts find (Prisma include: specimens)',
    q: (s) => [`SELECT * FROM accession.specimen WHERE accession_number IN ($1)`, [s.acc]] },
  { name: 'accession: case slides', where: 'case.repository.ts find (Prisma include: slides)',
    q: (s) => [`SELECT * FROM accession.slide WHERE (accession_number, specimen_id) IN (($1, 'A'), ($1, 'B'), ($1, 'C'))`, [s.acc]] },
  { name: 'accession: barcode owners', where: 'services/accession/src/cases/case.repository.ts barcodeOwners',
    q: (s) => [`SELECT barcode, accession_number FROM accession.slide WHERE barcode IN ($1, $2) AND case_active AND accession_number <> $3 ORDER BY barcode`,
      [s.barcode, `${s.acc}-Z1-1`, 'S26-000000']] },
  { name: 'accession: update case', where: 'case.repository.ts updateCase', write: true,
    q: (s) => [`UPDATE accession."case" SET updated_at = now(), version = version + 1 WHERE accession_number = $1 AND version = (SELECT version FROM accession."case" WHERE accession_number = $1)`, [s.acc]] },
  { name: 'accession: replace specimens (cascade to slides)', where: 'case.repository.ts replace (deleteMany specimens)', write: true,
    q: (s) => [`DELETE FROM accession.specimen WHERE accession_number = $1`, [s.acc]] },
  { name: 'accession: write outbox', where: 'libs/messaging/src/outbox.ts writeOutbox (cases.service.ts)', write: true, q: outboxInsert('accession') },
  ...relay('accession'),
  { name: 'accession: GET /cases page', where: 'case.repository.ts list (newest first)',
    q: () => [`SELECT * FROM accession."case" WHERE status = 'active' ORDER BY created_at DESC, accession_number DESC LIMIT 50`, []] },


  { name: 'accession: GET /cases next page', where: 'case.repository.ts list (cursor: createdAt lte, and lt OR accessionNumber lt)',
    q: (s) => [`SELECT * FROM accession."case" WHERE created_at <= $1::timestamptz AND (created_at < $1::timestamptz OR accession_number < $2)
                 ORDER BY created_at DESC, accession_number DESC LIMIT 50`, [s.cursorAt, 'H99-9999999']] },

  // ---- billing: charging, per case / scan / QC event (charging.service.ts, billing.repository.ts) ----
  { name: 'billing: mark consumed', where: 'libs/messaging/src/outbox.ts markConsumed (charging.service.ts handle)', write: true, q: consumed('billing', 'billing') },
  { name: 'billing: stored case', where: 'billing.repository.ts storedCase',
    q: (s) => [`SELECT c.version, ARRAY(SELECT sl.barcode FROM billing.billing_slide sl WHERE sl.accession_number = c.accession_number) AS barcodes
                  FROM billing.billing_case c WHERE c.accession_number = $1`, [s.acc]] },
  { name: 'billing: slides held by others', where: 'billing.repository.ts replaceCase (the snapshot\'s slides by barcode, and the case\'s own)',
    q: (s) => [`SELECT barcode, accession_number, to_char(assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS assigned_at
                  FROM billing.billing_slide WHERE barcode = ANY($1::text[]) OR accession_number = $2`, [[s.barcode, `${s.acc}-Z1-1`], s.acc]] },
  { name: 'billing: replace specimens (cascade to slides)', where: 'billing.repository.ts replaceCase (deleteMany billing_specimen)', write: true,
    q: (s) => [`DELETE FROM billing.billing_specimen WHERE accession_number = $1`, [s.acc]] },
  { name: 'billing: refresh work-list states', where: 'billing.repository.ts refreshWorklist (replaceCase: scans of the slides taken now or dropped)', write: true,
    q: (s) => [REFRESH_WORKLIST, [[s.barcode, `${s.acc}-Z1-1`]]] },
  { name: 'billing: requeue not-sendable deliveries', where: 'services/billing/src/delivery/delivery.repository.ts requeueNotSendable (caseStored)', write: true,
    q: (s) => [`UPDATE billing.delivery SET state = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
                 WHERE accession_number = $1 AND state = 'failed' AND last_outcome = 'not-sendable'`, [s.acc]] },
  { name: 'billing: upsert scans', where: 'billing.repository.ts upsertScans (one statement per batch; here one scan)', write: true,
    q: (s) => [UPSERT_SCANS, [[s.scanId], [s.barcode], ['completed'], ['diagnostic'], ['HSCN-001'], [new Date().toISOString()], [s.newId()], new Date().toISOString()]] },
  { name: 'billing: record QC verdicts', where: 'billing.repository.ts recordQcs (one statement per batch; here one verdict)', write: true,
    q: (s) => [RECORD_QCS, [[s.scanId], [s.newId()], [s.barcode], [true], ['[]'], ['2025.1'], new Date().toISOString()]] },
  { name: 'billing: active policy', where: 'services/billing/src/policies/policy-set.store.ts active',
    q: () => [`SELECT policy_version FROM billing.policy_activation ORDER BY id DESC LIMIT 1`, []] },
  { name: 'billing: claim cases', where: 'billing.repository.ts claimCases (the rows of the cases to decide, facts revision counted up)', write: true,
    q: (s) => [CLAIM_CASES, [[s.acc]]] },
  { name: 'billing: load cases', where: 'billing.repository.ts loadCases (everything the rules read, one statement)',
    q: (s) => [LOAD_CASES, [[s.acc]]] },
  { name: 'billing: load charges', where: 'billing.repository.ts loadCharges (a case whose facts are kept in memory: its charges only)',
    q: (s) => [LOAD_CHARGES, [[s.acc]]] },
  { name: 'billing: patient charges', where: 'billing.repository.ts patientCharges (one statement for a wave of cases; here one)',
    q: (s) => [PATIENT_CHARGES, [[0], [s.patient], [s.acc], [s.dos], LIVE]] },
  { name: 'billing: insert charges', where: 'billing.repository.ts insertCharges (createManyAndReturn, skipDuplicates)', write: true,
    q: (s) => [`INSERT INTO billing.charge (charge_id, charge_key, generation, accession_number, specimen_id, code, primary_code, units, date_of_service, patient_id, payer_id,
                  diagnoses, slide_barcodes, scan_ids, caused_by, trace, status, posted_at, status_changed_at, created_at)
                VALUES ($1::uuid, $2, 1, $3, 'Z', '0753T', '88305', 1, $4::date, $5, 'AETNA', '{}', '{}', '{}', '{}', '[]', 'posted', now(), now(), now())
                ON CONFLICT DO NOTHING RETURNING charge_id`, [s.newId(), `${s.acc}/Z/0753T`, s.acc, s.dos, s.patient]] },
  { name: 'billing: change charge status', where: 'billing.repository.ts changeStatus', write: true,
    q: (s) => [`UPDATE billing.charge SET status = 'credited', status_changed_at = now() WHERE charge_id = $1::uuid AND status IN ('posted')`, [s.chargeId]] },
  { name: 'billing: audit', where: 'billing.repository.ts audit (createMany)', write: true,
    q: (s) => [`INSERT INTO billing.charge_audit (charge_id, at, actor, action, from_status, to_status, reason, event_id)
                VALUES ($1::uuid, now(), 'billing-rules', 'created', NULL, 'posted', 'explain', NULL)`, [s.chargeId]] },
  { name: 'billing: enqueue DFT^P03', where: 'services/billing/src/delivery/delivery.repository.ts enqueueCharges', write: true,
    q: (s) => [`INSERT INTO billing.delivery AS d (id, kind, charge_id, credit_id, accession_number, message_control_id, depends_on, state, attempts, next_attempt_at, created_at, updated_at)
       SELECT q.id, 'charge', c.charge_id, NULL, c.accession_number, q.control_id,
              (SELECT p.id FROM billing.delivery p WHERE p.kind = 'credit' AND p.charge_id = c.replaces_charge_id),
              'pending', 0, now(), now(), now()
         FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS q(charge_id, id, control_id)
         JOIN billing.charge c ON c.charge_id = q.charge_id
        ORDER BY c.charge_key
       ON CONFLICT DO NOTHING RETURNING d.charge_id::text`, [[s.chargeId], [s.newId()], ['EXPLAIN000000000001']]] },
  { name: 'billing: write outbox', where: 'libs/messaging/src/outbox.ts writeOutbox (charging.service.ts)', write: true, q: outboxInsert('billing') },
  ...relay('billing'),
  { name: 'billing: claim delivery', where: 'services/billing/src/delivery/delivery-sender.repository.ts claimBatch (DFT sender, per batch of 5)', write: true,
    q: () => [`WITH next AS (
         SELECT d.id, d.state AS previous_state, d.claimed_by AS previous_claimer, d.updated_at AS previous_updated_at
           FROM billing.delivery d
          WHERE d.state IN ('pending', 'in-flight')
            AND ((d.state = 'pending' AND d.next_attempt_at <= $1::timestamptz)
                 OR (d.state = 'in-flight' AND d.lease_until < $1::timestamptz)
                 OR (d.state = 'in-flight' AND d.claimer_lock IS NOT NULL
                     AND (d.sending_until IS NULL OR d.sending_until < clock_timestamp())
                     AND d.claimer_lock::oid NOT IN (SELECT l.objid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.classid = 1145459792::oid AND l.objsubid = 2 AND l.granted
                                                       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))))
            AND (d.depends_on IS NULL OR EXISTS (SELECT 1 FROM billing.delivery p WHERE p.id = d.depends_on AND p.state = 'acked'))
          ORDER BY d.seq LIMIT 5 FOR UPDATE OF d SKIP LOCKED)
       UPDATE billing.delivery d SET state = 'in-flight', attempts = d.attempts + 1, lease_until = $2::timestamptz, claimed_by = $3, claimer_lock = 1,
              sending_until = NULL, updated_at = $1::timestamptz
         FROM next WHERE d.id = next.id RETURNING d.id`, [new Date().toISOString(), new Date(Date.now() + 30_000).toISOString(), 'explain']] },
  { name: 'billing: delivery queue depth', where: 'delivery.repository.ts depth (metrics, readiness)',
    q: (s) => [`SELECT state, count(*)::int AS n, min(next_attempt_at) FILTER (WHERE state = 'pending' AND next_attempt_at <= $1::timestamptz) AS oldest_due
                  FROM billing.delivery WHERE state IN ('pending', 'in-flight', 'failed') GROUP BY state`, [s.now]] },

  // ---- billing: the lists people page through ----
  { name: 'billing: review queue page', where: 'services/billing/src/charges/billing-query.service.ts reviewQueue (findMany)',
    q: () => [`SELECT * FROM billing.charge WHERE status = 'held' ORDER BY created_at ASC, charge_id ASC LIMIT 50`, []] },
  { name: 'billing: review queue total', where: 'billing-query.service.ts reviewQueue (count)',
    q: () => [`SELECT count(*) FROM billing.charge WHERE status = 'held'`, []] },
  { name: 'billing: review queue of a payer', where: 'billing-query.service.ts reviewQueue (payer, mode insensitive)',
    q: () => [`SELECT * FROM billing.charge WHERE status = 'held' AND payer_id ILIKE $1 ORDER BY created_at ASC, charge_id ASC LIMIT 50`, ['medicare']] },
  { name: 'billing: GET /charges first page', where: 'billing-query.service.ts listCharges (no filter)',
    q: () => [`SELECT * FROM billing.charge ORDER BY created_at ASC, charge_id ASC LIMIT 51`, []] },
  { name: 'billing: GET /charges next page', where: 'billing-query.service.ts listCharges and fhir/search.ts pageWhere (cursor: createdAt gte, and gt OR chargeId gt)',
    q: (s) => [`SELECT * FROM billing.charge WHERE created_at >= $1::timestamptz AND (created_at > $1::timestamptz OR charge_id > $2::uuid)
                 ORDER BY created_at ASC, charge_id ASC LIMIT 51`, [s.cursorAt, '00000000-0000-0000-0000-000000000000']] },
  { name: 'billing: GET /charges?status&since', where: 'billing-query.service.ts listCharges (status, since)',
    q: (s) => [`SELECT * FROM billing.charge WHERE status = 'posted' AND created_at >= $1::timestamptz ORDER BY created_at ASC, charge_id ASC LIMIT 51`, [s.weekAgo]] },
  { name: 'billing: GET /charges?accession', where: 'billing-query.service.ts listCharges (accession)',
    q: (s) => [`SELECT * FROM billing.charge WHERE accession_number = $1 ORDER BY created_at ASC, charge_id ASC LIMIT 51`, [s.acc]] },
  { name: 'billing: credits of a page', where: 'billing-query.service.ts listCharges (Prisma include: credit)',
    q: (s) => [`SELECT * FROM billing.credit WHERE credit_for IN ($1::uuid, $2::uuid)`, [s.chargeId, s.newId()]] },
  { name: 'billing: unmatched scans (open)', where: 'services/billing/src/charges/unmatched-scans.service.ts list',
    q: () => [`${UNMATCHED_LISTED} AND s.worklist_state = $1 ORDER BY s.received_at DESC, s.scan_id DESC LIMIT $2`, ['open', 101]] },
  { name: 'billing: unmatched scans (matched, next page)', where: 'unmatched-scans.service.ts list (state matched, cursor)',
    q: (s) => [`${UNMATCHED_LISTED} AND s.worklist_state = $1 AND (s.received_at, s.scan_id) < ($2::timestamptz, $3)
                ORDER BY s.received_at DESC, s.scan_id DESC LIMIT $4`, ['matched', s.now, 'HSCAN-99999999', 101]] },
  { name: 'billing: unmatched scans gauge', where: 'services/billing/src/metrics/billing-metrics.service.ts unmatched (per scrape)',
    q: () => [`SELECT worklist_state AS state, count(*)::int AS n FROM billing.scan WHERE worklist_state IS NOT NULL GROUP BY worklist_state`, []] },

  // ---- ops console: the projection, per event (projection.repository.ts write) ----
  { name: 'ops: mark consumed', where: 'libs/messaging/src/outbox.ts markConsumed (projection.service.ts)', write: true, q: consumed('ops_console', 'ops-console') },
  { name: 'ops: case fact', where: 'projection.repository.ts writeCase (case_version_fact)', write: true,
    q: (s) => [`INSERT INTO ops_console.case_version_fact (event_id, accession_number, version, type, occurred_at) VALUES ($1, $2, 9, 'case.updated', now()) ON CONFLICT DO NOTHING`, [s.newId(), s.acc]] },
  { name: 'ops: case first seen', where: 'projection.repository.ts writeCase (case_first_seen)', write: true,
    q: (s) => [`INSERT INTO ops_console.case_first_seen (accession_number, first_occurred_at) VALUES ($1, now())
                ON CONFLICT (accession_number) DO UPDATE SET first_occurred_at = LEAST(ops_console.case_first_seen.first_occurred_at, EXCLUDED.first_occurred_at)`, [s.acc]] },
  { name: 'ops: case -> charge lags', where: 'projection.repository.ts writeCase (UPDATE charge_fact)', write: true,
    q: (s) => [`UPDATE ops_console.charge_fact c SET case_to_charge_seconds = EXTRACT(EPOCH FROM c.posted_at - f.first_occurred_at)::float8
                  FROM ops_console.case_first_seen f WHERE f.accession_number = c.accession_number AND c.accession_number = $1`, [s.acc]] },
  { name: 'ops: scan fact', where: 'projection.repository.ts writeScan (INSERT scan_fact)', write: true,
    q: (s) => [`INSERT INTO ops_console.scan_fact (scan_id, type, slide_barcode, scanner_id, scanned_at, event_id) VALUES ($1, 'scan.completed', $2, 'HSCN-001', now(), $3) ON CONFLICT DO NOTHING`,
      [s.newId(), s.barcode, s.newId()]] },
  { name: 'ops: rescan flags', where: 'projection.repository.ts writeScan (UPDATE scan_fact rescan)', write: true,
    q: (s) => [`UPDATE ops_console.scan_fact s SET rescan = r.n > 1
                  FROM (SELECT scan_id, type, row_number() OVER (ORDER BY scanned_at, scan_id) AS n
                          FROM ops_console.scan_fact WHERE slide_barcode = $1 AND type = 'scan.completed') r
                 WHERE s.scan_id = r.scan_id AND s.type = r.type AND s.rescan IS DISTINCT FROM (r.n > 1)`, [s.barcode]] },
  { name: 'ops: scan -> charge lags of a scan', where: 'projection.repository.ts chargesOfScans (`scan_ids @> ARRAY[scan]`, the GIN index on scan_ids)', write: true,
    q: (s) => [fillScanLags('c.scan_ids @> ARRAY[$1::text]'), [s.scanId]] },
  { name: 'ops: QC fact', where: 'projection.repository.ts writeQc', write: true,
    q: (s) => [`INSERT INTO ops_console.qc_fact (scan_id, slide_barcode, passed, failed_rules, at, event_id) VALUES ($1, $2, true, '{}'::text[], now(), $3) ON CONFLICT DO NOTHING`,
      [s.newId(), s.barcode, s.newId()]] },
  { name: 'ops: charge fact', where: 'projection.repository.ts writeCharge (INSERT charge_fact)', write: true,
    q: (s) => [`INSERT INTO ops_console.charge_fact (charge_id, code, payer_id, units, accession_number, posted_at, scan_ids, trace_id, event_id, case_to_charge_seconds)
                VALUES ($1::uuid, '0753T', 'AETNA', 1, $2, now(), $3::text[], NULL, $4,
                        (SELECT EXTRACT(EPOCH FROM now() - first_occurred_at)::float8 FROM ops_console.case_first_seen WHERE accession_number = $2))
                ON CONFLICT DO NOTHING`, [s.newId(), s.acc, [s.scanId], s.newId()]] },
  { name: 'ops: scan -> charge lag of a charge', where: 'projection.repository.ts writeCharge -> fillScanLags(`c.charge_id = $1`)', write: true,
    q: (s) => [fillScanLags('c.charge_id = $1::uuid'), [s.chargeId]] },
  { name: 'ops: lags of a charge', where: 'projection.repository.ts lagsOf',
    q: (s) => [`SELECT scan_to_charge_seconds, case_to_charge_seconds FROM ops_console.charge_fact WHERE charge_id = $1::uuid`, [s.chargeId]] },
  { name: 'ops: credit fact', where: 'projection.repository.ts writeCredit', write: true,
    q: (s) => [`INSERT INTO ops_console.credit_fact (credit_id, credit_for, code, payer_id, units, accession_number, reason, credited_at, event_id)
                VALUES ($1::uuid, $2::uuid, '0753T', 'AETNA', 1, $3, 'case-cancelled', now(), $4) ON CONFLICT DO NOTHING`, [s.newId(), s.chargeId, s.acc, s.newId()]] },
  // ---- ops console: the overview's facts (projection.repository.ts factsFor), per page load / live refresh ----
  { name: 'ops: charges this week', where: 'projection.repository.ts factsFor',
    q: (s) => [`SELECT code, payer_id, units, posted_at FROM ops_console.charge_fact WHERE posted_at >= $1`, [s.weekAgo]] },
  { name: 'ops: scan lags 24 h', where: 'projection.repository.ts lagsSince',
    q: (s) => [`SELECT posted_at, scan_to_charge_seconds FROM ops_console.charge_fact WHERE posted_at >= $1 AND scan_to_charge_seconds IS NOT NULL ORDER BY posted_at`, [s.dayAgo]] },
  { name: 'ops: completed scans 24 h', where: 'projection.repository.ts factsFor',
    q: (s) => [`SELECT scanner_id, scanned_at, rescan FROM ops_console.scan_fact WHERE type = 'scan.completed' AND scanned_at >= $1`, [s.dayAgo]] },
  { name: 'ops: verdicts 24 h', where: 'projection.repository.ts factsFor',
    q: (s) => [`SELECT q.passed, q.failed_rules, s.scanner_id FROM ops_console.qc_fact q LEFT JOIN ops_console.scan_fact s ON s.scan_id = q.scan_id AND s.type = 'scan.completed'
                 WHERE q.at >= $1`, [s.dayAgo]] },
  { name: 'ops: case timeline', where: 'projection.repository.ts caseVersions',
    q: (s) => [`SELECT event_id, version, type, occurred_at FROM ops_console.case_version_fact WHERE accession_number = $1 ORDER BY occurred_at, version`, [s.acc]] },
];

function fillScanLags(where) {
  return `UPDATE ops_console.charge_fact t SET scan_to_charge_seconds = l.lag
            FROM (SELECT c.charge_id, EXTRACT(EPOCH FROM c.posted_at - max(s.scanned_at))::float8 AS lag
                    FROM ops_console.charge_fact c JOIN ops_console.scan_fact s ON s.scan_id = ANY(c.scan_ids) AND s.type = 'scan.completed'
                   WHERE ${where} GROUP BY c.charge_id, c.posted_at) l
           WHERE t.charge_id = l.charge_id`;
}

// Copied from services/billing/src/charging/facts-json.sql.ts and billing.repository.ts (keep in step).
const SCAN_JSON = (alias) =>
  `json_build_object('scanId', ${alias}.scan_id, 'slideBarcode', ${alias}.slide_barcode, 'status', ${alias}.status, ` +
  `'purpose', ${alias}.purpose, 'scannedAt', ${alias}.scanned_at, 'sourceEventId', ${alias}.source_event_id)`;
const QC_JSON = (alias) => `json_build_object('scanId', ${alias}.scan_id, 'passed', ${alias}.passed, 'reasons', ${alias}.reasons, 'sourceEventId', ${alias}.source_event_id)`;
const CHARGES_JSON = (accession) =>
  `COALESCE((SELECT json_agg(json_build_object('chargeId', ch.charge_id, 'chargeKey', ch.charge_key, 'generation', ch.generation,
                                        'status', ch.status, 'specimenId', ch.specimen_id,
                                        'code', ch.code, 'primaryCode', ch.primary_code, 'units', ch.units,
                                        'dateOfService', to_char(ch.date_of_service, 'YYYY-MM-DD'), 'patientId', ch.patient_id,
                                        'payerId', ch.payer_id, 'diagnoses', ch.diagnoses, 'modifiers', ch.modifiers,
                                        'slideBarcodes', ch.slide_barcodes, 'diagnosisPointers', ch.diagnosis_pointers,
                                        'holdRules', (SELECT COALESCE(json_agg(h->>'rule'), '[]'::json) FROM jsonb_array_elements(ch.hold_reasons) h),
                                        'voidedByReviewer', EXISTS (SELECT 1 FROM billing.charge_audit a
                                                                     WHERE a.charge_id = ch.charge_id AND a.action = 'voided' AND a.actor <> 'billing-rules'))
                                        ORDER BY ch.charge_key, ch.generation)
                          FROM billing.charge ch WHERE ch.accession_number = ${accession}), '[]'::json)`;
const LOAD_CASES = `SELECT c.accession_number AS "accessionNumber", c.version, c.status, c.patient_id AS "patientId", c.payer_id AS "payerId",
              to_char(c.collection_date, 'YYYY-MM-DD') AS "collectionDate", c.diagnoses, c.flags,
              COALESCE((SELECT json_agg(json_build_object('specimenId', sp.specimen_id, 'primaryCpt', sp.primary_cpt, 'units', sp.units,
                                        'modifiers', sp.modifiers, 'diagnosisPointers', sp.diagnosis_pointers,
                                        'retrievedFromStorageDate', to_char(sp.retrieved_from_storage_date, 'YYYY-MM-DD'))
                                        ORDER BY sp.specimen_id)
                          FROM billing.billing_specimen sp WHERE sp.accession_number = c.accession_number), '[]'::json) AS specimens,
              COALESCE((SELECT json_agg(json_build_object('barcode', sl.barcode, 'specimenId', sl.specimen_id) ORDER BY sl.barcode)
                          FROM billing.billing_slide sl WHERE sl.accession_number = c.accession_number), '[]'::json) AS slides,
              COALESCE((SELECT json_agg(${SCAN_JSON('cs')} ORDER BY cs.scan_id)
                          FROM billing.billing_slide sl JOIN billing.scan cs ON cs.slide_barcode = sl.barcode
                         WHERE sl.accession_number = c.accession_number), '[]'::json) AS scans,
              COALESCE((SELECT json_agg(${QC_JSON('q')} ORDER BY q.scan_id, q.source_event_id)
                          FROM billing.billing_slide sl JOIN billing.scan cs ON cs.slide_barcode = sl.barcode
                          JOIN billing.qc_outcome q ON q.scan_id = cs.scan_id
                         WHERE sl.accession_number = c.accession_number), '[]'::json) AS qc,
              ${CHARGES_JSON('c.accession_number')} AS charges
         FROM billing.billing_case c
        WHERE c.accession_number = ANY($1::text[])
        ORDER BY c.accession_number`;
// services/billing/src/charging/worklist-state.ts worklistStateSql, written out for a scan's and a slide's columns.
const worklistState = (status, receivedAt, dismissedAt, heldBarcode = 'sl.barcode', assignedAt = 'sl.assigned_at') =>
  `CASE WHEN ${status} IS DISTINCT FROM 'completed' THEN NULL
        WHEN ${heldBarcode} IS NULL AND ${dismissedAt} IS NULL THEN 'open'
        WHEN ${heldBarcode} IS NULL THEN 'dismissed'
        WHEN ${receivedAt} < ${assignedAt} THEN 'matched' END`;
const UPSERT_SCANS = `WITH input AS (
         SELECT i.*, sl.accession_number,
                ${worklistState('i.status', '$8::timestamptz', 'NULL')} AS worklist_state
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                AS i(scan_id, slide_barcode, status, purpose, scanner_id, scanned_at, source_event_id)
           LEFT JOIN billing.billing_slide sl ON sl.barcode = i.slide_barcode
       ), upserted AS (
         INSERT INTO billing.scan AS s (scan_id, slide_barcode, status, purpose, scanner_id, scanned_at, source_event_id, received_at, worklist_state)
         SELECT scan_id, slide_barcode, status, purpose, scanner_id, scanned_at, source_event_id, $8::timestamptz, worklist_state FROM input
         ON CONFLICT (scan_id) DO UPDATE SET
           slide_barcode = excluded.slide_barcode, status = excluded.status, purpose = excluded.purpose,
           scanner_id = excluded.scanner_id, scanned_at = excluded.scanned_at, source_event_id = excluded.source_event_id,
           worklist_state = (SELECT ${worklistState('excluded.status', 's.received_at', 's.dismissed_at')}
                               FROM (SELECT 1) AS one LEFT JOIN billing.billing_slide sl ON sl.barcode = excluded.slide_barcode)
         WHERE (CASE excluded.status WHEN 'started' THEN 0 ELSE 1 END, excluded.scanned_at)
             > (CASE s.status WHEN 'started' THEN 0 ELSE 1 END, s.scanned_at)
         RETURNING scan_id, ${SCAN_JSON('s')} AS scan
       ), previous AS (
         SELECT s.scan_id, sl.accession_number
           FROM billing.scan s JOIN billing.billing_slide sl ON sl.barcode = s.slide_barcode
          WHERE s.scan_id IN (SELECT scan_id FROM input))
       SELECT i.scan_id, u.scan_id IS NOT NULL AS changed, i.accession_number, p.accession_number AS previous_accession, u.scan,
              CASE WHEN u.scan_id IS NOT NULL
                   THEN COALESCE((SELECT json_agg(${QC_JSON('q')} ORDER BY q.source_event_id) FROM billing.qc_outcome q WHERE q.scan_id = i.scan_id), '[]'::json)
              END AS qc
         FROM input i
         LEFT JOIN upserted u ON u.scan_id = i.scan_id
         LEFT JOIN previous p ON p.scan_id = i.scan_id`;
const STORED_WORKLIST_STATE = worklistState('s.status', 's.received_at', 's.dismissed_at');
const REFRESH_WORKLIST = `UPDATE billing.scan s SET worklist_state = ${STORED_WORKLIST_STATE}
         FROM unnest($1::text[]) AS b(barcode) LEFT JOIN billing.billing_slide sl ON sl.barcode = b.barcode
        WHERE s.slide_barcode = b.barcode AND s.status = 'completed'
          AND s.worklist_state IS DISTINCT FROM (${STORED_WORKLIST_STATE})`;
// services/billing/src/charges/unmatched-scans.service.ts LISTED_SQL.
const UNMATCHED_LISTED = `SELECT s.scan_id, s.slide_barcode, s.status, s.purpose, s.scanner_id, s.scanned_at, s.source_event_id, s.received_at,
                     s.dismissed_at, s.dismissed_by, s.dismissal_reason, s.worklist_state AS state, sl.accession_number AS matched_accession
                      FROM billing.scan s
                      LEFT JOIN billing.billing_slide sl ON s.worklist_state = 'matched' AND sl.barcode = s.slide_barcode
                     WHERE s.worklist_state IS NOT NULL`;
const RECORD_QCS = `WITH input AS (
         SELECT i.scan_id, i.source_event_id, i.slide_barcode, i.passed, i.rules_version,
                ARRAY(SELECT jsonb_array_elements_text(i.reasons)) AS reasons
           FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[], $6::text[])
                AS i(scan_id, source_event_id, slide_barcode, passed, reasons, rules_version)
       ), inserted AS (
         INSERT INTO billing.qc_outcome AS q (scan_id, source_event_id, slide_barcode, passed, reasons, rules_version, recorded_at)
         SELECT scan_id, source_event_id, slide_barcode, passed, reasons, rules_version, $7::timestamptz FROM input
         ON CONFLICT DO NOTHING
         RETURNING scan_id, source_event_id, ${QC_JSON('q')} AS qc)
       SELECT i.source_event_id, ins.qc, sl.accession_number, ssl.accession_number AS scan_accession
         FROM input i
         LEFT JOIN inserted ins ON ins.scan_id = i.scan_id AND ins.source_event_id = i.source_event_id
         LEFT JOIN billing.billing_slide sl ON sl.barcode = i.slide_barcode
         LEFT JOIN billing.scan cs ON cs.scan_id = i.scan_id
         LEFT JOIN billing.billing_slide ssl ON ssl.barcode = cs.slide_barcode`;
const CLAIM_CASES = `WITH claimed AS (
         SELECT accession_number FROM billing.billing_case WHERE accession_number = ANY($1::text[])
          ORDER BY accession_number FOR NO KEY UPDATE)
       UPDATE billing.billing_case c SET facts_revision = c.facts_revision + 1
         FROM claimed WHERE c.accession_number = claimed.accession_number
       RETURNING c.accession_number, c.facts_revision`;
const LOAD_CHARGES = `SELECT a.accession_number, ${CHARGES_JSON('a.accession_number')} AS charges FROM unnest($1::text[]) AS a(accession_number)`;
const PATIENT_CHARGES = `SELECT q.query, c.charge_id::text AS "chargeId", c.accession_number AS "accessionNumber", c.specimen_id AS "specimenId", c.code,
              c.primary_code AS "primaryCode", c.units, c.payer_id AS "payerId", to_char(c.date_of_service, 'YYYY-MM-DD') AS "dateOfService", c.status
         FROM unnest($1::int[], $2::text[], $3::text[], $4::date[]) AS q(query, patient_id, except_accession, date_of_service)
         JOIN billing.charge c
           ON c.patient_id = q.patient_id AND c.accession_number <> q.except_accession
          AND c.date_of_service = q.date_of_service AND c.status = ANY($5::text[])
        ORDER BY q.query, c.charge_id`;

/** Every node of a JSON plan (init plans and subplans included). */
function* nodes(plan) {
  yield plan;
  for (const child of plan.Plans ?? []) yield* nodes(child);
}

const describe = (node) => {
  const on = node['Relation Name'] ? ` on ${node.Schema ? `${node.Schema}.` : ''}${node['Relation Name']}` : '';
  const using = node['Index Name'] ? ` using ${node['Index Name']}` : '';
  return `${node['Node Type']}${node.Operation && node['Node Type'] === 'ModifyTable' ? ` (${node.Operation})` : ''}${using}${on}`;
};

async function main() {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const database = (await client.query('SELECT current_database() AS d')).rows[0].d;
  const s = await samples(client);
  const sizes = new Map(
    (await client.query(`SELECT n.nspname || '.' || c.relname AS name, c.reltuples::bigint AS rows FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('accession', 'scanner', 'qc', 'billing', 'ops_console')`)).rows.map((r) => [r.name, Number(r.rows)]),
  );
  const only = typeof args.only === 'string' ? args.only : undefined;
  const results = [];
  for (const query of QUERIES.filter((q) => !only || q.name.includes(only))) {
    const [sql, params] = query.q(s);
    await client.query('BEGIN');
    let plan;
    try {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) ${sql}`, params);
      plan = rows[0]['QUERY PLAN'][0];
      if (args.plans) {
        const text = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        console.log(`\n-- ${query.name} (${query.where})\n${text.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
      }
    } catch (e) {
      await client.query('ROLLBACK');
      results.push({ ...query, error: e.message });
      continue;
    }
    await client.query('ROLLBACK');
    const seqScans = [...nodes(plan.Plan)]
      .filter((n) => n['Node Type'] === 'Seq Scan')
      .map((n) => `${n.Schema}.${n['Relation Name']}`)
      .filter((t) => (sizes.get(t) ?? 0) > LARGE);
    const walks = [...nodes(plan.Plan)]
      .map((n) => ({ n, removed: ((n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Join Filter'] ?? 0)) * (n['Actual Loops'] ?? 1) }))
      .filter(({ removed }) => removed > LARGE)
      .map(({ n, removed }) => `${describe(n)} (${removed.toLocaleString('en-US')} rows filtered out)`);
    const top = plan.Plan['Node Type'] === 'ModifyTable' || plan.Plan['Node Type'] === 'Limit' || plan.Plan['Node Type'] === 'LockRows'
      ? `${describe(plan.Plan)} > ${describe(plan.Plan.Plans?.[0] ?? {})}` : describe(plan.Plan);
    results.push({ ...query, top, seqScans: [...new Set(seqScans)], walks, ms: plan['Execution Time'], triggerMs: (plan.Triggers ?? []).reduce((t, x) => t + x.Time, 0) });
  }
  await client.end();

  console.log(`EXPLAIN (ANALYZE, BUFFERS) on ${database}, ${new Date().toISOString()}; sample case ${s.acc}; "large" = over ${LARGE} rows\n`);
  console.log('| query | from | top of the plan | seq scan of a large table | filtered-out rows | ms |\n|---|---|---|---|---|---:|');
  for (const r of results) {
    if (r.error) {
      console.log(`| ${r.name} | ${r.where} | ERROR: ${r.error} | | | |`);
      continue;
    }
    const ms = r.ms.toFixed(2) + (r.triggerMs ? ` (+${r.triggerMs.toFixed(2)} triggers)` : '');
    console.log(`| ${r.name} | ${r.where} | ${r.top} | ${r.seqScans.length ? `**${r.seqScans.join(', ')}**` : 'none'} | ${r.walks.length ? `**${r.walks.join('; ')}**` : 'none'} | ${ms} |`);
  }
  const bad = results.filter((r) => r.error || r.seqScans.length || r.walks.length);
  if (bad.length) {
    console.log(`\n${bad.length} quer${bad.length === 1 ? 'y' : 'ies'} seq-scan a large table, filter out more than ${LARGE} rows, or failed: ${bad.map((r) => r.name).join('; ')}`);
    process.exit(1);
  }
  console.log(`\nno hot query seq-scans a table of more than ${LARGE} rows or filters out more than ${LARGE} rows`);
}

main().catch((e) => {
  console.error(`[explain-hot-queries] ${e.message}`);
  process.exit(2);
});
