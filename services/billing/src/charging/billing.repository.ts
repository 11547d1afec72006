import { Injectable } from '@nestjs/common';
import { compareStrings, type EngineCharge, type ExistingCharge } from '@slidecharge/billing-rules';
import type { Charge, CaseSnapshot, Credit } from '@slidecharge/contracts';
import type { SqlExecutor } from '@slidecharge/messaging';
import { Db } from '../prisma.service';
import { LIVE_STATUSES, StoredChargeStatus } from '../charge/charge-status';
import { byColumnName, CHARGE_COLUMN_NAMES, chargeColumnsOf } from '../charge/charge-row';
import { LoadedCase, LoadedCaseRow, loadedCaseFromRow, QcJson, ScanJson, StoredCharge, storedChargeOf } from './facts';
import { chargesJsonSql, qcJsonSql, scanJsonSql } from './facts-json.sql';
import { STORED_WORKLIST_STATE_SQL, worklistStateSql } from './worklist-state';



export interface ScanRow {
  scanId: string;
  slideBarcode: string;
  status: string;
  purpose: string;
  scannerId: string;
  scannedAt: string;
  sourceEventId: string;
}

/** What storing one scan report did (BillingRepository.upsertScans). */
export interface StoredScanEffect {
  changed: boolean;
  /** The case that has the scan's slide, when a known case has it. */
  accessionNumber: string | undefined;
  /** The case that had the scan's slide before this report (a report may name another slide), when known. */
  previousAccession: string | undefined;
  /** A changed scan as stored, with the QC verdicts stored for it. */
  stored?: { scan: ScanJson; qc: QcJson[] };
}

/** What recording one QC verdict did (BillingRepository.recordQcs). */
export interface RecordedQcEffect {
  recorded: boolean;
  /** The case that has the verdict's slide, when known. */
  accessionNumber: string | undefined;
  /** The case that has the slide of the verdict's scan, when known (the case whose facts hold the verdict). */
  scanAccession: string | undefined;
  /** A recorded verdict as stored. */
  stored?: QcJson;
}

/** A charge to insert: its payload (also the charge.posted data) and how billing keeps it. */
export interface NewChargeRow extends Pick<EngineCharge, 'holdReasons' | 'refusedModifiers'> {
  charge: Charge;
  generation: number;
  status: 'posted' | 'held' | 'do-not-send';
  /** W3C trace id of the handling of the event that decided it (taken in that event's context). */
  traceId: string | null;
}

/** One line of the append-only charge audit trail. */
export interface AuditEntry {
  chargeId: string;
  at: Date;
  actor: string;
  action: 'created' | 'released' | 'voided' | 'credited';
  fromStatus: StoredChargeStatus | null;
  toStatus: StoredChargeStatus;
  reason: string;
  eventId?: string;
}

/** A case's patient, its accession and its dates of service: the unit limits' scope (patientCharges, lockPatientDays). */
export interface PatientDays {
  patientId: string;
  exceptAccession: string;
  datesOfService: readonly string[];
}

/** A live charge of the patient on another accession (for per-patient unit limits): what the rules read of it, with its stored state. */
export type PatientChargeRow = Omit<ExistingCharge, 'state' | 'slideBarcodes' | 'heldDecision' | 'voidedByReviewer'> & { status: StoredChargeStatus };

export interface QcRow {
  scanId: string;
  sourceEventId: string;
  slideBarcode: string;
  passed: boolean;
  reasons: string[];
  rulesVersion: string;
}

/**
 * What the DFT^P03 needs of the case besides the charge (PID-3.4/5/7/8, IN1-2/4, FT1-21): stored from
 * each case version, absent fields as {} / null so a later version that drops them clears them.
 */
export function caseBillingFields(snapshot: CaseSnapshot) {
  return {
    patient: snapshot.patient ?? {},
    payerName: snapshot.payer.name ?? null,
    payerPlan: snapshot.payer.plan ?? null,
    orderingProvider: snapshot.orderingProvider ?? null,
    orderingProviderNpi: snapshot.orderingProviderNpi ?? null,
  };
}

/** The columns billing writes when it creates a charge (the others keep their defaults: release is set on release). */
const INSERTED_CHARGE_COLUMNS = Object.entries(CHARGE_COLUMN_NAMES)
  .flatMap(([field, column]) => (field === 'release' ? [] : [column]))
  .join(', ');

/**
 * The scan reports of a batch stored in one statement (BillingRepository.upsertScans). A new scan's
 * work-list state is that of a scan received now and never dismissed; an updated one's follows from its
 * stored received_at and dismissal and the new report (the slide looked up again: a report may name
 * another barcode). Each changed scan comes back as stored, with its QC verdicts already stored and the
 * case its slide belonged to before (all read as of the statement's start).
 */
const UPSERT_SCANS_SQL = `WITH input AS (
         SELECT i.*, sl.accession_number,
                ${worklistStateSql({ status: 'i.status', receivedAt: '$8::timestamptz', dismissedAt: 'NULL', heldBarcode: 'sl.barcode', assignedAt: 'sl.assigned_at' })} AS worklist_state
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
                AS i(scan_id, slide_barcode, status, purpose, scanner_id, scanned_at, source_event_id)
           LEFT JOIN billing.billing_slide sl ON sl.barcode = i.slide_barcode
       ), upserted AS (
         INSERT INTO billing.scan AS s (scan_id, slide_barcode, status, purpose, scanner_id, scanned_at, source_event_id, received_at, worklist_state)
         SELECT scan_id, slide_barcode, status, purpose, scanner_id, scanned_at, source_event_id, $8::timestamptz, worklist_state FROM input
         ON CONFLICT (scan_id) DO UPDATE SET
           slide_barcode = excluded.slide_barcode, status = excluded.status, purpose = excluded.purpose,
           scanner_id = excluded.scanner_id, scanned_at = excluded.scanned_at, source_event_id = excluded.source_event_id,
           worklist_state = (SELECT ${worklistStateSql({ status: 'excluded.status', receivedAt: 's.received_at', dismissedAt: 's.dismissed_at', heldBarcode: 'sl.barcode', assignedAt: 'sl.assigned_at' })}
                               FROM (SELECT 1) AS one LEFT JOIN billing.billing_slide sl ON sl.barcode = excluded.slide_barcode)
         WHERE (CASE excluded.status WHEN 'started' THEN 0 ELSE 1 END, excluded.scanned_at)
             > (CASE s.status WHEN 'started' THEN 0 ELSE 1 END, s.scanned_at)
         RETURNING scan_id, ${scanJsonSql('s')} AS scan
       ), previous AS (
         SELECT s.scan_id, sl.accession_number
           FROM billing.scan s JOIN billing.billing_slide sl ON sl.barcode = s.slide_barcode
          WHERE s.scan_id IN (SELECT scan_id FROM input))
       SELECT i.scan_id, u.scan_id IS NOT NULL AS changed, i.accession_number, p.accession_number AS previous_accession, u.scan,
              CASE WHEN u.scan_id IS NOT NULL
                   THEN COALESCE((SELECT json_agg(${qcJsonSql('q')} ORDER BY q.source_event_id) FROM billing.qc_outcome q WHERE q.scan_id = i.scan_id), '[]'::json)
              END AS qc
         FROM input i
         LEFT JOIN upserted u ON u.scan_id = i.scan_id
         LEFT JOIN previous p ON p.scan_id = i.scan_id`;

/**
 * Billing's SQL. Every write runs inside the caller's transaction; the hot path (one Kafka event)
 * costs a fixed number of statements whatever the number of slides, scans or charges involved.
 */
@Injectable()
export class BillingRepository {
  /**
   * Takes transaction-scoped advisory locks on the keys (e.g. slide:<barcode>, case:<accession>) in
   * one statement, in ascending hash order, so two transactions never wait on each other in a cycle.
   * They are released at commit or rollback.
   */
  async lock(tx: SqlExecutor, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await tx.$queryRawUnsafe(
      `SELECT h, pg_advisory_xact_lock(h)::text AS locked
         FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`,
      [...keys],
    );
  }

  /** The stored version of a case and the barcodes of its slides, or undefined for an unknown case. */
  async storedCase(tx: SqlExecutor, accessionNumber: string): Promise<{ version: number; barcodes: string[] } | undefined> {
    const rows = await tx.$queryRawUnsafe<{ version: number; barcodes: string[] | null }[]>(
      `SELECT c.version, ARRAY(SELECT sl.barcode FROM billing.billing_slide sl WHERE sl.accession_number = c.accession_number) AS barcodes
         FROM billing.billing_case c WHERE c.accession_number = $1`,
      accessionNumber,
    );
    const row = rows[0];
    return row ? { version: row.version, barcodes: row.barcodes ?? [] } : undefined;
  }

  /**
   * Stores a case snapshot in place of the previous version: the case row, and its specimens and slides
   * replaced by the snapshot's. A barcode that another case held moves to this one; those moves are
   * returned so the caller can say so. A slide keeps the time its case took it (assigned_at) across
   * versions of that case; a slide new to the case, or moved to it, is taken `now`. The work-list state
   * of the scans of the slides taken now and of the slides the case dropped follows (refreshWorklist).
   */
  async replaceCase(tx: SqlExecutor, snapshot: CaseSnapshot, now: Date): Promise<{ barcode: string; fromAccession: string }[]> {
    const accessionNumber = snapshot.accessionNumber;
    const billing = caseBillingFields(snapshot);
    await tx.$executeRawUnsafe(
      `INSERT INTO billing.billing_case AS c (accession_number, version, status, patient_id, patient, payer_name, payer_plan,
                                              ordering_provider, ordering_provider_npi, payer_id, collection_date, diagnoses, flags,
                                              updated_at, first_seen_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11::date, $12::text[], $13::jsonb, $14::timestamptz, $14::timestamptz)
       ON CONFLICT (accession_number) DO UPDATE SET
         version = excluded.version, status = excluded.status, patient_id = excluded.patient_id, patient = excluded.patient,
         payer_name = excluded.payer_name, payer_plan = excluded.payer_plan, ordering_provider = excluded.ordering_provider,
         ordering_provider_npi = excluded.ordering_provider_npi, payer_id = excluded.payer_id, collection_date = excluded.collection_date,
         diagnoses = excluded.diagnoses, flags = excluded.flags, updated_at = excluded.updated_at`,
      accessionNumber,
      snapshot.version,
      snapshot.status,
      snapshot.patientId,
      JSON.stringify(billing.patient),
      billing.payerName,
      billing.payerPlan,
      billing.orderingProvider,
      billing.orderingProviderNpi,
      snapshot.payer.payerId,
      snapshot.collectionDate,
      snapshot.diagnoses,
      JSON.stringify(snapshot.flags ?? {}),
      now.toISOString(),
    );
    const barcodes = snapshot.slides.map((s) => s.barcode);
    const inSnapshot = new Set(barcodes);
    // Read before the specimens go: who holds each of the snapshot's slides, and since when, and which
    // slides this case holds now (those the snapshot lacks are dropped).
    const held = await tx.$queryRawUnsafe<{ barcode: string; accession_number: string; assigned_at: string }[]>(
      `SELECT barcode, accession_number, to_char(assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS assigned_at
         FROM billing.billing_slide WHERE barcode = ANY($1::text[]) OR accession_number = $2`,
      barcodes,
      accessionNumber,
    );
    const own = held.filter((h) => h.accession_number === accessionNumber);
    const moved = held.filter((h) => h.accession_number !== accessionNumber);
    const keptSince = new Map(own.filter((h) => inSnapshot.has(h.barcode)).map((h) => [h.barcode, h.assigned_at]));
    const dropped = own.filter((h) => !inSnapshot.has(h.barcode)).map((h) => h.barcode);
    // Deleting the specimens deletes their slides too (foreign key ON DELETE CASCADE).
    await tx.$executeRawUnsafe(`DELETE FROM billing.billing_specimen WHERE accession_number = $1`, accessionNumber);
    if (snapshot.specimens.length > 0) {
      await tx.$executeRawUnsafe(
        `INSERT INTO billing.billing_specimen (accession_number, specimen_id, primary_cpt, units, modifiers, diagnosis_pointers, retrieved_from_storage_date)
         SELECT $1, s.specimen_id, s.primary_cpt, s.units, s.modifiers, s.diagnosis_pointers, s.retrieved_from_storage_date
           FROM jsonb_to_recordset($2::jsonb)
                AS s(specimen_id text, primary_cpt text, units int, modifiers text[], diagnosis_pointers int[], retrieved_from_storage_date date)`,
        accessionNumber,
        JSON.stringify(
          snapshot.specimens.map((s) => ({
            specimen_id: s.specimenId,
            primary_cpt: s.primaryCpt,
            units: s.units,
            modifiers: s.modifiers ?? [],
            diagnosis_pointers: s.diagnosisPointers ?? [],
            retrieved_from_storage_date: s.retrievedFromStorageDate ?? null,
          })),
        ),
      );
    }
    if (snapshot.slides.length > 0) {
      if (moved.length > 0) await tx.$executeRawUnsafe(`DELETE FROM billing.billing_slide WHERE barcode = ANY($1::text[])`, moved.map((m) => m.barcode));
      await tx.$executeRawUnsafe(
        `INSERT INTO billing.billing_slide (barcode, accession_number, specimen_id, assigned_at)
         SELECT barcode, $1, specimen_id, assigned_at FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS s(barcode, specimen_id, assigned_at)`,
        accessionNumber,
        snapshot.slides.map((s) => s.barcode),
        snapshot.slides.map((s) => s.specimenId),
        snapshot.slides.map((s) => keptSince.get(s.barcode) ?? now.toISOString()),
      );
    }
    // A kept slide keeps its holder and assigned_at, so its scans keep their state.
    await this.refreshWorklist(tx, [...dropped, ...barcodes.filter((b) => !keptSince.has(b))]);
    return moved.map((m) => ({ barcode: m.barcode, fromAccession: m.accession_number }));
  }

  /**
   * Sets the work-list state of the completed scans of these slides from who holds each slide now, in
   * one statement (only the rows whose state changes are written). Called after their billing_slide
   * rows changed: a case took the slide (or took it anew: assigned_at), dropped it, or lost it.
   */
  async refreshWorklist(tx: SqlExecutor, barcodes: readonly string[]): Promise<void> {
    if (barcodes.length === 0) return;
    await tx.$executeRawUnsafe(
      `UPDATE billing.scan s SET worklist_state = ${STORED_WORKLIST_STATE_SQL}
         FROM unnest($1::text[]) AS b(barcode) LEFT JOIN billing.billing_slide sl ON sl.barcode = b.barcode
        WHERE s.slide_barcode = b.barcode AND s.status = 'completed'
          AND s.worklist_state IS DISTINCT FROM (${STORED_WORKLIST_STATE_SQL})`,
      [...new Set(barcodes)],
    );
  }

  /**
   * Inserts scan reports, or applies each over the stored one of the same scanId when it is a later
   * state (completed/failed over started; same rank: later scannedAt), in one statement (at most one
   * report per scanId: see winningReports), with the scan's work-list state as it follows from the
   * stored report and the slide's holder (a report that stops being completed leaves the list). Returns,
   * per scanId, whether anything changed, the accession of the scan's slide when a known case has that
   * slide, and for a changed scan: the case its slide belonged to before, the row as stored and its
   * stored QC verdicts.
   */
  async upsertScans(tx: SqlExecutor, scans: readonly ScanRow[], now: Date): Promise<Map<string, StoredScanEffect>> {
    if (scans.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<
      { scan_id: string; changed: boolean; accession_number: string | null; previous_accession: string | null; scan: ScanJson | null; qc: QcJson[] | null }[]
    >(
      UPSERT_SCANS_SQL,
      scans.map((s) => s.scanId),
      scans.map((s) => s.slideBarcode),
      scans.map((s) => s.status),
      scans.map((s) => s.purpose),
      scans.map((s) => s.scannerId),
      scans.map((s) => s.scannedAt),
      scans.map((s) => s.sourceEventId),
      now.toISOString(),
    );
    return new Map(
      rows.map((r) => [
        r.scan_id,
        {
          changed: r.changed === true,
          accessionNumber: r.accession_number ?? undefined,
          previousAccession: r.previous_accession ?? undefined,
          ...(r.scan ? { stored: { scan: r.scan, qc: r.qc ?? [] } } : {}),
        },
      ]),
    );
  }

  /**
   * Records QC verdicts (once per scan and event) in one statement. Returns, per source event id,
   * whether it was recorded now, the accession of its slide and of its scan's slide (when known; the two
   * differ only when the verdict names another slide than its scan), and a recorded verdict as stored.
   */
  async recordQcs(tx: SqlExecutor, verdicts: readonly QcRow[], now: Date): Promise<Map<string, RecordedQcEffect>> {
    if (verdicts.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<{ source_event_id: string; accession_number: string | null; scan_accession: string | null; qc: QcJson | null }[]>(
      `WITH input AS (
         SELECT i.scan_id, i.source_event_id, i.slide_barcode, i.passed, i.rules_version,
                ARRAY(SELECT jsonb_array_elements_text(i.reasons)) AS reasons
           FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[], $6::text[])
                AS i(scan_id, source_event_id, slide_barcode, passed, reasons, rules_version)
       ), inserted AS (
         INSERT INTO billing.qc_outcome AS q (scan_id, source_event_id, slide_barcode, passed, reasons, rules_version, recorded_at)
         SELECT scan_id, source_event_id, slide_barcode, passed, reasons, rules_version, $7::timestamptz FROM input
         ON CONFLICT DO NOTHING
         RETURNING scan_id, source_event_id, ${qcJsonSql('q')} AS qc)
       SELECT i.source_event_id, ins.qc, sl.accession_number, ssl.accession_number AS scan_accession
         FROM input i
         LEFT JOIN inserted ins ON ins.scan_id = i.scan_id AND ins.source_event_id = i.source_event_id
         LEFT JOIN billing.billing_slide sl ON sl.barcode = i.slide_barcode
         LEFT JOIN billing.scan cs ON cs.scan_id = i.scan_id
         LEFT JOIN billing.billing_slide ssl ON ssl.barcode = cs.slide_barcode`,
      verdicts.map((q) => q.scanId),
      verdicts.map((q) => q.sourceEventId),
      verdicts.map((q) => q.slideBarcode),
      verdicts.map((q) => q.passed),
      verdicts.map((q) => JSON.stringify(q.reasons)),
      verdicts.map((q) => q.rulesVersion),
      now.toISOString(),
    );
    return new Map(
      rows.map((r) => [
        r.source_event_id,
        {
          recorded: r.qc !== null,
          accessionNumber: r.accession_number ?? undefined,
          scanAccession: r.scan_accession ?? undefined,
          ...(r.qc ? { stored: r.qc } : {}),
        },
      ]),
    );
  }

  /**
   * Takes the rows of the cases about to be decided (FOR NO KEY UPDATE, in accession order, so that two
   * transactions never wait on each other in a cycle) and counts their facts revision up. Transactions
   * that changed facts of one case without a lock in common (its slides' events on other partitions, or
   * in two billing instances) decide it one after the other, each reading what the one before committed.
   * Returns the new revision of each case that exists.
   */
  async claimCases(tx: SqlExecutor, accessionNumbers: readonly string[]): Promise<Map<string, number>> {
    if (accessionNumbers.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<{ accession_number: string; facts_revision: number }[]>(
      `WITH claimed AS (
         SELECT accession_number FROM billing.billing_case WHERE accession_number = ANY($1::text[])
          ORDER BY accession_number FOR NO KEY UPDATE)
       UPDATE billing.billing_case c SET facts_revision = c.facts_revision + 1
         FROM claimed WHERE c.accession_number = claimed.accession_number
       RETURNING c.accession_number, c.facts_revision`,
      [...accessionNumbers],
    );
    return new Map(rows.map((r) => [r.accession_number, r.facts_revision]));
  }

  /**
   * Everything the rules need about the given cases, in ONE statement whatever their size: the case,
   * its specimens and slides, every scan of those slides, the QC verdicts of those scans and the
   * charges already posted. Each part is a lookup per case through an index (slides by accession,
   * scans by barcode, verdicts by scan id, charges by accession), so its cost follows the cases read,
   * not the tables' size.
   */
  async loadCases(db: SqlExecutor, accessionNumbers: readonly string[]): Promise<LoadedCase[]> {
    if (accessionNumbers.length === 0) return [];
    const rows = await db.$queryRawUnsafe<LoadedCaseRow[]>(
      `SELECT c.accession_number AS "accessionNumber", c.version, c.status, c.patient_id AS "patientId", c.payer_id AS "payerId",
              to_char(c.collection_date, 'YYYY-MM-DD') AS "collectionDate", c.diagnoses, c.flags,
              COALESCE((SELECT json_agg(json_build_object('specimenId', sp.specimen_id, 'primaryCpt', sp.primary_cpt, 'units', sp.units,
                                        'modifiers', sp.modifiers, 'diagnosisPointers', sp.diagnosis_pointers,
                                        'retrievedFromStorageDate', to_char(sp.retrieved_from_storage_date, 'YYYY-MM-DD'))
                                        ORDER BY sp.specimen_id)
                          FROM billing.billing_specimen sp WHERE sp.accession_number = c.accession_number), '[]'::json) AS specimens,
              COALESCE((SELECT json_agg(json_build_object('barcode', sl.barcode, 'specimenId', sl.specimen_id) ORDER BY sl.barcode)
                          FROM billing.billing_slide sl WHERE sl.accession_number = c.accession_number), '[]'::json) AS slides,
              COALESCE((SELECT json_agg(${scanJsonSql('cs')} ORDER BY cs.scan_id)
                          FROM billing.billing_slide sl JOIN billing.scan cs ON cs.slide_barcode = sl.barcode
                         WHERE sl.accession_number = c.accession_number), '[]'::json) AS scans,
              COALESCE((SELECT json_agg(${qcJsonSql('q')} ORDER BY q.scan_id, q.source_event_id)
                          FROM billing.billing_slide sl JOIN billing.scan cs ON cs.slide_barcode = sl.barcode
                          JOIN billing.qc_outcome q ON q.scan_id = cs.scan_id
                         WHERE sl.accession_number = c.accession_number), '[]'::json) AS qc,
              ${chargesJsonSql('c.accession_number')} AS charges
         FROM billing.billing_case c
        WHERE c.accession_number = ANY($1::text[])
        ORDER BY c.accession_number`,
      [...accessionNumbers],
    );
    return rows.map(loadedCaseFromRow);
  }

  /**
   * Every charge of the given cases (all generations and states), in one statement: what a decision
   * reads fresh when the case's facts are known (CaseFactsCache). The order of the answer is the cases'.
   */
  async loadCharges(db: SqlExecutor, accessionNumbers: readonly string[]): Promise<StoredCharge[][]> {
    if (accessionNumbers.length === 0) return [];
    const rows = await db.$queryRawUnsafe<{ accession_number: string; charges: LoadedCaseRow['charges'] }[]>(
      `SELECT a.accession_number, ${chargesJsonSql('a.accession_number')} AS charges FROM unnest($1::text[]) AS a(accession_number)`,
      [...accessionNumbers],
    );
    const byAccession = new Map(rows.map((r) => [r.accession_number, r.charges.map(storedChargeOf)]));
    return accessionNumbers.map((a) => byAccession.get(a) ?? []);
  }

  /**
   * Takes a transaction-scoped advisory lock per patient and date of service of the given cases, in
   * one order (sorted keys), after the slide and case row locks. Two transactions deciding cases of
   * one patient on one day then run one after the other, and the second's patientCharges (a new
   * statement, a new snapshot under READ COMMITTED) counts the charges the first committed: without
   * it both could be billable where the payer's unit limit allows one. Released at commit or rollback.
   */
  async lockPatientDays(tx: SqlExecutor, cases: readonly PatientDays[]): Promise<void> {
    const keys = [...new Set(cases.flatMap((c) => c.datesOfService.map((d) => `${c.patientId}|${d}`)))].sort(compareStrings);
    if (keys.length === 0) return;
    // unnest yields the keys in array order, so the locks are taken in it.
    await tx.$executeRawUnsafe(
      `SELECT pg_advisory_xact_lock(hashtextextended('billing.patient-day|' || k, 0)) FROM unnest($1::text[]) AS k`,
      keys,
    );
  }

  /**
   * For each case (patient, its accession, its dates of service): the patient's live charges on other
   * accessions for those dates, what the per-patient unit limits count besides the case's own charges.
   * One statement for all of them; the answer is in the order of the queries.
   */
  async patientCharges(db: SqlExecutor, queries: readonly PatientDays[]): Promise<PatientChargeRow[][]> {
    const pairs = queries.flatMap((q, i) => q.datesOfService.map((d) => ({ i, patientId: q.patientId, exceptAccession: q.exceptAccession, date: d })));
    const answer: PatientChargeRow[][] = queries.map(() => []);
    if (pairs.length === 0) return answer;
    const rows = await db.$queryRawUnsafe<(PatientChargeRow & { query: number })[]>(
      `SELECT q.query, c.charge_id::text AS "chargeId", c.accession_number AS "accessionNumber", c.specimen_id AS "specimenId", c.code,
              c.primary_code AS "primaryCode", c.units, c.payer_id AS "payerId", to_char(c.date_of_service, 'YYYY-MM-DD') AS "dateOfService", c.status
         FROM unnest($1::int[], $2::text[], $3::text[], $4::date[]) AS q(query, patient_id, except_accession, date_of_service)
         JOIN billing.charge c
           ON c.patient_id = q.patient_id AND c.accession_number <> q.except_accession
          AND c.date_of_service = q.date_of_service AND c.status = ANY($5::text[])
        ORDER BY q.query, c.charge_id`,
      pairs.map((p) => p.i),
      pairs.map((p) => p.patientId),
      pairs.map((p) => p.exceptAccession),
      pairs.map((p) => p.date),
      [...LIVE_STATUSES],
    );
    for (const { query, ...row } of rows) answer[query]?.push(row);
    return answer;
  }

  /**
   * Inserts charges that do not exist yet (ON CONFLICT DO NOTHING: on the charge id, on key and
   * generation, and on the one-live-charge-per-key index) and returns the ids this transaction inserted:
   * only they are audited and, when posted, published.
   */
  async insertCharges(tx: SqlExecutor, rows: readonly NewChargeRow[], now: Date): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const records = rows.map(({ charge, generation, status, holdReasons, refusedModifiers, traceId }) => {
      const { release: _release, ...columns } = chargeColumnsOf(charge, status);
      return byColumnName({
        ...columns,
        generation,
        refusedModifiers,
        holdReasons: holdReasons.map((h) => ({ rule: h.rule, detail: h.detail })),
        status,
        statusChangedAt: now.toISOString(),
        createdAt: now.toISOString(),
        traceId,
      });
    });
    // One statement for every row; ON CONFLICT DO NOTHING on the charge id, on key and generation, and on
    // the one-live-charge-per-key index.
    const inserted = await tx.$queryRawUnsafe<{ charge_id: string }[]>(
      `INSERT INTO billing.charge (${INSERTED_CHARGE_COLUMNS})
       SELECT ${INSERTED_CHARGE_COLUMNS} FROM jsonb_populate_recordset(NULL::billing.charge, $1::jsonb)
       ON CONFLICT DO NOTHING
       RETURNING charge_id::text AS charge_id`,
      JSON.stringify(records),
    );
    return new Set(inserted.map((r) => r.charge_id));
  }

  /**
   * Moves a charge from one of `from` to `to` (with the extra columns given); false when it was not in
   * one of those states (someone else got there first), in which case nothing changed.
   */
  async changeStatus(
    tx: Db,
    chargeId: string,
    from: readonly StoredChargeStatus[],
    to: StoredChargeStatus,
    now: Date,
    extra: { postedAt?: Date; release?: { by: string; justification: string; at: string } } = {},
  ): Promise<boolean> {
    const { count } = await tx.charge.updateMany({
      where: { chargeId, status: { in: [...from] } },
      data: {
        status: to,
        statusChangedAt: now,
        ...(extra.postedAt ? { postedAt: extra.postedAt } : {}),
        ...(extra.release ? { release: extra.release } : {}),
      },
    });
    return count === 1;
  }

  /** Moves the charges that are in one of `from` to `to`, in one statement; returns the ids moved. */
  async changeStatuses(tx: SqlExecutor, chargeIds: readonly string[], from: readonly StoredChargeStatus[], to: StoredChargeStatus, now: Date): Promise<Set<string>> {
    if (chargeIds.length === 0) return new Set();
    const rows = await tx.$queryRawUnsafe<{ charge_id: string }[]>(
      `UPDATE billing.charge SET status = $3, status_changed_at = $4::timestamptz
        WHERE charge_id = ANY($1::uuid[]) AND status = ANY($2::text[])
        RETURNING charge_id::text AS charge_id`,
      [...chargeIds],
      [...from],
      to,
      now.toISOString(),
    );
    return new Set(rows.map((r) => r.charge_id));
  }

  /** Inserts credits, each with the trace id of the handling that reversed its charge. */
  async insertCredits(tx: SqlExecutor, credits: readonly { credit: Credit; traceId: string | null }[]): Promise<void> {
    if (credits.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO billing.credit (credit_id, credit_for, reason, detail, caused_by, trace, created_at, trace_id)
       SELECT credit_id, credit_for, reason, detail, caused_by, trace, created_at, trace_id
         FROM jsonb_populate_recordset(NULL::billing.credit, $1::jsonb)`,
      JSON.stringify(
        credits.map(({ credit, traceId }) => ({
          credit_id: credit.creditId,
          credit_for: credit.creditFor,
          reason: credit.reason,
          detail: credit.detail,
          caused_by: credit.causedBy,
          trace: credit.trace,
          created_at: credit.creditedAt,
          trace_id: traceId,
        })),
      ),
    );
  }

  /** Appends to the audit trail (never updated or deleted), in one statement. */
  async audit(tx: SqlExecutor, entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO billing.charge_audit (charge_id, at, actor, action, from_status, to_status, reason, event_id)
       SELECT charge_id, at, actor, action, from_status, to_status, reason, event_id
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
              WITH ORDINALITY AS a(charge_id, at, actor, action, from_status, to_status, reason, event_id, n)
        ORDER BY n`,
      entries.map((e) => e.chargeId),
      entries.map((e) => e.at.toISOString()),
      entries.map((e) => e.actor),
      entries.map((e) => e.action),
      entries.map((e) => e.fromStatus),
      entries.map((e) => e.toStatus),
      entries.map((e) => e.reason),
      entries.map((e) => e.eventId ?? null),
    );
  }
}
