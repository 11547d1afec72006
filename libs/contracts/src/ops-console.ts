/**
 * The ops console's HTTP API (services/ops-console, a backend-for-front-end), as its web front end
 * (services/ops-console-web) reads it. One definition, used by both: the server's answers are typed
 * with these, and the browser imports them with `import type` (nothing of this file reaches the bundle
 * but the metric table, which is plain data).
 *
 * Every number the console shows is one of OPS_METRICS: a label, a unit, its definition (shown one
 * click away) and the owning API or topic it equals (a test checks each against that API).
 */

/** How a number is shown. */
export type OpsMetricUnit = 'count' | 'usd-cents' | 'seconds' | 'ratio' | 'per-hour';

/** Where a number comes from: the console's projection of the topics, or an owning service's API. */
export type OpsMetricOrigin = 'projection' | 'service-api' | 'kafka-admin';

export interface OpsMetricDefinition {
  label: string;
  unit: OpsMetricUnit;
  /** What the number counts, in the lab's words: shown behind the number's "?" */
  definition: string;
  origin: OpsMetricOrigin;
  /** The owning API (or topic) the number equals, e.g. `billing GET /review-queue (total)`. */
  source: string;
  /** The breakdowns the reading carries (keys of MetricReading.breakdowns). */
  breakdowns: readonly OpsBreakdown[];
  /** Shown on the wall screen (never a number that names a patient, case or person). */
  wall: boolean;
}

export type OpsBreakdown = 'code' | 'payer' | 'scanner' | 'reason' | 'topic' | 'group' | 'service' | 'state';

/** The numbers of the console. The ids are stable: tests, the SSE stream and the front end use them. */
export const OPS_METRICS = {
  'charges.today': {
    label: 'Charges today',
    unit: 'count',
    definition: 'Digitization add-on charges (0751T-0763T) posted since midnight in the lab time zone, one per charge id; credits not subtracted.',
    origin: 'projection',
    source: 'topic billing.charges.v1 (charge.posted); equals billing GET /charges?since=<midnight> status posted|credited',
    breakdowns: ['code', 'payer'],
    wall: true,
  },
  'charges.week': {
    label: 'Charges this week',
    unit: 'count',
    definition: 'Charges posted since Monday 00:00 in the lab time zone.',
    origin: 'projection',
    source: 'topic billing.charges.v1 (charge.posted); equals billing GET /charges?since=<monday>',
    breakdowns: ['code', 'payer'],
    wall: true,
  },
  'charges.amount.today': {
    label: 'Estimated value today',
    unit: 'usd-cents',
    definition: 'Sum over today\'s charges of units x the fee schedule\'s amount for the code (and payer, where the schedule has one). Empty when no fee schedule is configured.',
    origin: 'projection',
    source: 'charges.today x the fee schedule (OPS_CONSOLE_FEE_SCHEDULE_FILE)',
    breakdowns: ['code', 'payer'],
    wall: true,
  },
  'charges.amount.week': {
    label: 'Estimated value this week',
    unit: 'usd-cents',
    definition: 'Sum over this week\'s charges of units x the fee schedule amount.',
    origin: 'projection',
    source: 'charges.week x the fee schedule',
    breakdowns: ['code', 'payer'],
    wall: true,
  },
  'credits.today': {
    label: 'Credits today',
    unit: 'count',
    definition: 'Credits (reversals of posted charges) sent since midnight in the lab time zone.',
    origin: 'projection',
    source: 'topic billing.charges.v1 (charge.credited); equals the credits of billing GET /charges/{chargeId} with creditedAt since <midnight>',
    breakdowns: ['code', 'payer'],
    wall: true,
  },
  'held.count': {
    label: 'Held charges',
    unit: 'count',
    definition: 'Charges the rules held for a person to release or void (the review queue), whatever their age.',
    origin: 'service-api',
    source: 'billing GET /review-queue (total)',
    breakdowns: ['code'],
    wall: true,
  },
  'held.amount': {
    label: 'Revenue at risk',
    unit: 'usd-cents',
    definition: 'Held charges x the fee schedule: what is not billed until someone releases them. Empty without a fee schedule.',
    origin: 'service-api',
    source: 'billing GET /review-queue x the fee schedule',
    breakdowns: ['code'],
    wall: true,
  },
  'review.oldest.seconds': {
    label: 'Oldest held charge',
    unit: 'seconds',
    definition: 'Age of the oldest charge in the review queue.',
    origin: 'service-api',
    source: 'billing GET /review-queue (oldest heldAt)',
    breakdowns: [],
    wall: true,
  },
  'lag.scan-to-charge.p50.1h': {
    label: 'Charge lag p50 (1 h)',
    unit: 'seconds',
    definition: 'Median time from a slide\'s scan completing (the scanner\'s scannedAt) to the charge that scan completed being posted, over charges posted in the last hour.',
    origin: 'projection',
    source: 'scan.completed events (scannedAt) joined to charge.posted (postedAt, scanIds)',
    breakdowns: [],
    wall: true,
  },
  'lag.scan-to-charge.p95.1h': {
    label: 'Charge lag p95 (1 h)',
    unit: 'seconds',
    definition: '95th percentile of scan completed -> charge posted, charges posted in the last hour.',
    origin: 'projection',
    source: 'as lag.scan-to-charge.p50.1h',
    breakdowns: [],
    wall: true,
  },
  'lag.scan-to-charge.max.1h': {
    label: 'Charge lag max (1 h)',
    unit: 'seconds',
    definition: 'Longest scan completed -> charge posted, charges posted in the last hour.',
    origin: 'projection',
    source: 'as lag.scan-to-charge.p50.1h',
    breakdowns: [],
    wall: true,
  },
  'lag.scan-to-charge.p50.24h': {
    label: 'Charge lag p50 (24 h)',
    unit: 'seconds',
    definition: 'Median scan completed -> charge posted over the last 24 hours.',
    origin: 'projection',
    source: 'as lag.scan-to-charge.p50.1h',
    breakdowns: [],
    wall: false,
  },
  'lag.scan-to-charge.p95.24h': {
    label: 'Charge lag p95 (24 h)',
    unit: 'seconds',
    definition: '95th percentile of scan completed -> charge posted over the last 24 hours.',
    origin: 'projection',
    source: 'as lag.scan-to-charge.p50.1h',
    breakdowns: [],
    wall: false,
  },
  'lag.scan-to-charge.max.24h': {
    label: 'Charge lag max (24 h)',
    unit: 'seconds',
    definition: 'Longest scan completed -> charge posted over the last 24 hours.',
    origin: 'projection',
    source: 'as lag.scan-to-charge.p50.1h',
    breakdowns: [],
    wall: false,
  },
  'lag.case-to-charge.p50.24h': {
    label: 'Case to charge p50 (24 h)',
    unit: 'seconds',
    definition: 'Median time from the case\'s first version (accession) to its charge being posted, charges of the last 24 hours. Mostly the time the slides waited to be scanned.',
    origin: 'projection',
    source: 'topic lis.case-events.v1 (first occurredAt of the accession) joined to charge.posted (billing postedAt)',
    breakdowns: [],
    wall: false,
  },
  'scans.last-hour': {
    label: 'Scans in the last hour',
    unit: 'per-hour',
    definition: 'Completed scans the scanners reported in the last hour, by scanner.',
    origin: 'projection',
    source: 'topic scan.events.v1 (scan completed)',
    breakdowns: ['scanner'],
    wall: true,
  },
  'qc.failure-rate.24h': {
    label: 'QC failure rate (24 h)',
    unit: 'ratio',
    definition: 'Scans that failed image QC / scans QC judged, last 24 hours, by scanner and by reason (the QC rule that failed: focus, tissue, file-size, barcode, stitching; a scan failing two rules counts for both).',
    origin: 'projection',
    source: 'topic qc.results.v1; equals qc GET /qc/results counts',
    breakdowns: ['scanner', 'reason'],
    wall: true,
  },
  'qc.rescans.24h': {
    label: 'Rescans (24 h)',
    unit: 'count',
    definition: 'Scans of a slide that had been scanned before, last 24 hours.',
    origin: 'projection',
    source: 'topic scan.events.v1 (second and later scans of a barcode)',
    breakdowns: ['scanner'],
    wall: true,
  },
  'slides.awaiting-rescan': {
    label: 'Slides awaiting rescan',
    unit: 'count',
    definition: 'Slides whose latest scan failed QC and that have not been scanned again.',
    origin: 'service-api',
    source: 'qc GET /qc/rescans (total)',
    breakdowns: ['reason'],
    wall: true,
  },
  'scans.unmatched': {
    label: 'Unmatched scans',
    unit: 'count',
    definition: 'Completed scans whose slide is on no case yet (open items of the unmatched-scans work list).',
    origin: 'service-api',
    source: 'billing GET /unmatched-scans?state=open (total)',
    breakdowns: [],
    wall: true,
  },
  'dead-letters.open': {
    label: 'Dead letters',
    unit: 'count',
    definition: 'Messages a service could not take and set aside with the reason, not yet replayed, by topic and reason.',
    origin: 'service-api',
    source: 'GET /dead-letters?state=open of scanner-events, qc and billing (total)',
    breakdowns: ['service', 'topic', 'reason'],
    wall: true,
  },
  'deliveries.failed': {
    label: 'DFT deliveries failed',
    unit: 'count',
    definition: 'Charge and credit deliveries to the billing system (HL7 DFT^P03) that failed and wait for a retry by a person.',
    origin: 'service-api',
    source: 'billing GET /deliveries?state=failed (total)',
    breakdowns: [],
    wall: true,
  },
  'deliveries.pending': {
    label: 'DFT deliveries pending',
    unit: 'count',
    definition: 'Deliveries queued or being retried automatically (includes not-sendable ones waiting for a corrected case).',
    origin: 'service-api',
    source: 'billing GET /deliveries?state=pending|not-sendable (total)',
    breakdowns: ['state'],
    wall: true,
  },
  'consumer.lag': {
    label: 'Consumer lag',
    unit: 'count',
    definition: 'Messages on the topics not yet consumed, by consumer group (log end offset - committed offset, summed over partitions).',
    origin: 'kafka-admin',
    source: 'Kafka admin API: topic offsets and group offsets',
    breakdowns: ['group'],
    wall: true,
  },
  'outbox.backlog': {
    label: 'Outbox backlog',
    unit: 'count',
    definition: 'Events written by a service and not yet published to Kafka, by service.',
    origin: 'service-api',
    source: 'GET /health/ready of each service (the outbox check\'s backlog)',
    breakdowns: ['service'],
    wall: true,
  },
  'services.up': {
    label: 'Services ready',
    unit: 'count',
    definition: 'Services whose readiness check passes (Postgres, Kafka, consumers, outbox relay), of the five.',
    origin: 'service-api',
    source: 'GET /health/ready of each service',
    breakdowns: ['service'],
    wall: true,
  },
} as const satisfies Record<string, OpsMetricDefinition>;

export type OpsMetricId = keyof typeof OPS_METRICS;
export const OPS_METRIC_IDS = Object.keys(OPS_METRICS) as OpsMetricId[];

export interface BreakdownEntry {
  key: string;
  value: number;
}

/** One number as the console shows it. `value` null means "no data" (e.g. no fee schedule, no charge yet). */
export interface MetricReading {
  value: number | null;
  /** Set when the source could not be read (a service down): what to do about it. */
  unavailable?: string;
  breakdowns?: Partial<Record<OpsBreakdown, BreakdownEntry[]>>;
}

/** GET /api/overview, and the `overview` event of GET /api/live. */
export interface OpsOverview {
  asOf: string;
  labTimeZone: string;
  metrics: Record<OpsMetricId, MetricReading>;
}

/** Which lag the chart shows. */
export type LagMeasure = 'scan-to-charge' | 'case-to-charge';
export type LagWindow = '1h' | '24h';

/** GET /api/charge-lag?measure=&window=, and the `lag` event of GET /api/live (scan-to-charge, 1h). */
export interface LagSeries {
  measure: LagMeasure;
  window: LagWindow;
  bucketSeconds: number;
  /** One point per bucket with at least one charge, oldest first; seconds. */
  points: Array<{ at: string; count: number; p50: number; p95: number; max: number }>;
}

/** A charge or credit as the live feed shows it (not on the wall stream: it names the accession). */
export interface ChargeActivity {
  kind: 'charge' | 'credit';
  id: string;
  chargeId: string;
  accessionNumber: string;
  code: string;
  units: number;
  payerId: string;
  at: string;
  /** A charge's scan completed -> charge posted, seconds (null for a credit, or while its scans are not projected). */
  lagSeconds: number | null;
  /** A charge's case created (first case event) -> charge posted, seconds (null for a credit, or when the case event was not projected). */
  caseToChargeSeconds: number | null;
}

/**
 * GET /api/live: server-sent events. Events: `overview` (OpsOverview), `lag` (LagSeries),
 * `activity` (ChargeActivity; not sent with ?view=wall). A heartbeat comment every 15 s.
 */
export type OpsLiveEvent = { event: 'overview'; data: OpsOverview } | { event: 'lag'; data: LagSeries } | { event: 'activity'; data: ChargeActivity };

/** GET /api/config (no credential: what the browser needs to sign in; nothing about patients). */
export interface OpsConsoleConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  labTimeZone: string;
  /** The user-visible name of the lab. */
  labName: string;
  feeScheduleConfigured: boolean;
}

/** The services a console action goes to. */
export type OpsServiceName = 'accession' | 'scanner-events' | 'qc' | 'billing';

export type TimelineKind =
  | 'case-version'
  | 'slide-move'
  | 'scan'
  | 'qc-verdict'
  | 'decision'
  | 'charge'
  | 'credit'
  | 'delivery'
  | 'audit'
  | 'dead-letter';

/** One line of a case's timeline. */
export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  service: OpsServiceName;
  title: string;
  /** Short facts, e.g. { slide: 'S1', verdict: 'fail', reason: 'blur' }. */
  facts: Record<string, string | number | boolean | null>;
  /** The rules' reasoning of a decision, charge or credit. */
  trace?: Array<{ rule: string; outcome: string; detail: string }>;
  /** W3C trace id (32 hex) the event was carried under, where known. */
  traceId?: string;
  /** Who did it, for actions by people (release, void, retry, replay, dismiss). */
  actor?: string;
}

/** GET /api/cases/:accessionNumber/timeline. */
export interface CaseTimeline {
  accessionNumber: string;
  entries: TimelineEntry[];
  /** Sources that could not be read: the timeline is partial and says so. */
  missing: Array<{ service: OpsServiceName; reason: string }>;
}

/** The body of every console action that changes something (release, void, retry, replay, dismiss). */
export interface ActionRequest {
  justification: string;
}

/** A dead letter as listed by an owning service (GET /dead-letters): no message body. */
export interface DeadLetterSummary {
  id: string;
  failedAt: string;
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  reason: string;
  /** The error, capped; never the message body. */
  message: string;
  sizeBytes: number;
  state: 'open' | 'replayed' | 'replay-failed';
  replays: Array<{ at: string; by: string; justification: string; outcome: 'consumed' | 'failed-again'; error?: string }>;
}

/** GET /dead-letters of scanner-events, qc and billing (newest first). */
export interface DeadLetterPage {
  items: DeadLetterSummary[];
  /** How many match the filters, over all pages. */
  total: number;
  nextCursor: string | null;
}

/** The original message of a dead letter: the value as UTF-8 text when its bytes decode exactly, else base64. */
export interface DeadLetterOriginal {
  key: string | null;
  headers: Record<string, string>;
  value: string | null;
  valueEncoding: 'utf8' | 'base64' | null;
  sizeBytes: number;
  sha256: string;
}

/** GET /dead-letters/:id (access-audited: the original may hold patient data). */
export interface DeadLetterDetail extends DeadLetterSummary {
  original: DeadLetterOriginal;
}

/** POST /dead-letters/:id/replay with an ActionRequest body. */
export interface DeadLetterReplayResult {
  deadLetter: DeadLetterSummary;
  outcome: 'consumed' | 'failed-again';
  /** The dead letter had been consumed by an earlier replay: nothing ran now. */
  alreadyReplayed: boolean;
  /** Why it failed again (first line, capped; never the message body). */
  error?: string;
}

/**
 * The web front end's own pages (client routes). The console's server answers these with the front
 * end, so none may be one of its own routes (a test of services/ops-console checks it): `/health` and
 * `/dead-letters` are the server's (probes, its own dead letters), hence `/service-health` and
 * `/dead-letter-queue` here.
 */
export const OPS_CONSOLE_PAGES = ['/', '/callback', '/wall', '/review', '/cases', '/dead-letter-queue', '/deliveries', '/unmatched', '/service-health'] as const;
