/**
 * Image-quality (QC) rules for whole-slide scans: the checks a technician or an automated step
 * makes before a scan counts as a digitized slide (focus, tissue found, a plausible file size,
 * barcode read, no stitching errors). A rejected slide is rescanned.
 */

/** What the scanner middleware reports about one scanned image. Any metric may be missing. */
export interface ScanImageMetrics {
  /** 0..1, higher is sharper. */
  focusScore?: number;
  /** 0..1, fraction of the scanned area found to hold tissue. */
  tissueCoverage?: number;
  fileSizeBytes?: number;
  barcodeRead?: boolean;
  stitchingErrors?: number;
}

/** Thresholds as data, versioned so every verdict says which rule set judged it. */
export interface QcRuleSet {
  version: string;
  minFocusScore: number;
  minTissueCoverage: number;
  minFileSizeBytes: number;
  maxFileSizeBytes: number;
  requireBarcodeRead: boolean;
  maxStitchingErrors: number;
  /** What a missing metric means: 'pass' gives the scan the benefit of the doubt, 'fail' rejects it. */
  missingMetric: 'pass' | 'fail';
}

export const DEFAULT_QC_RULES: Readonly<QcRuleSet> = Object.freeze({
  version: 'qc-2026.1',
  minFocusScore: 0.7,
  minTissueCoverage: 0.05,
  minFileSizeBytes: 1_000_000,
  maxFileSizeBytes: 20_000_000_000,
  requireBarcodeRead: true,
  maxStitchingErrors: 0,
  missingMetric: 'pass',
});

export type QcRuleName = 'focus' | 'tissue' | 'file-size' | 'barcode' | 'stitching';

export interface QcCheckResult {
  rule: QcRuleName;
  passed: boolean;
  /** The metric as reported; null when it was missing. */
  value: number | boolean | null;
  threshold: string;
  /** Why the check failed; on a passed check, set only to note a missing metric that was let through. */
  reason?: string;
}

export interface QcEvaluation {
  passed: boolean;
  rulesVersion: string;
  /** One check per rule, always in the order focus, tissue, file-size, barcode, stitching. */
  checks: QcCheckResult[];
  /** Reasons of the failed checks, in check order. */
  reasons: string[];
}

/** Two decimals, or more when two decimals would hide the difference (0.699 is not "0.70"). */
export function formatScore(x: number): string {
  const fixed = x.toFixed(2);
  return Number(fixed) === x ? fixed : String(x);
}

function isFraction(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function missing(rule: QcRuleName, label: string, threshold: string, rules: QcRuleSet): QcCheckResult {
  const passed = rules.missingMetric === 'pass';
  return {
    rule,
    passed,
    value: null,
    threshold,
    reason: passed
      ? `${label} not reported (passed: rule set ${rules.version} lets missing metrics pass)`
      : `${label} not reported (rule set ${rules.version} fails missing metrics)`,
  };
}

function invalid(rule: QcRuleName, value: unknown, threshold: string, reason: string): QcCheckResult {
  const shown = typeof value === 'number' || typeof value === 'boolean' ? value : null;
  return { rule, passed: false, value: shown, threshold, reason };
}

function checkFocus(m: ScanImageMetrics, rules: QcRuleSet): QcCheckResult {
  const threshold = `>= ${formatScore(rules.minFocusScore)}`;
  const v = m.focusScore;
  if (v === undefined || v === null) return missing('focus', 'focus score', threshold, rules);
  if (!isFraction(v)) return invalid('focus', v, threshold, `focus score ${String(v)} is not a number between 0 and 1`);
  if (v < rules.minFocusScore) {
    return invalid('focus', v, threshold, `focus score ${formatScore(v)} below ${formatScore(rules.minFocusScore)} (out of focus)`);
  }
  return { rule: 'focus', passed: true, value: v, threshold };
}

function checkTissue(m: ScanImageMetrics, rules: QcRuleSet): QcCheckResult {
  const threshold = `>= ${formatScore(rules.minTissueCoverage)}`;
  const v = m.tissueCoverage;
  if (v === undefined || v === null) return missing('tissue', 'tissue coverage', threshold, rules);
  if (!isFraction(v)) return invalid('tissue', v, threshold, `tissue coverage ${String(v)} is not a number between 0 and 1`);
  if (v < rules.minTissueCoverage) {
    return invalid(
      'tissue',
      v,
      threshold,
      `tissue coverage ${formatScore(v)} below ${formatScore(rules.minTissueCoverage)} (tissue missed or slide blank)`,
    );
  }
  return { rule: 'tissue', passed: true, value: v, threshold };
}

function checkFileSize(m: ScanImageMetrics, rules: QcRuleSet): QcCheckResult {
  const threshold = `${rules.minFileSizeBytes}..${rules.maxFileSizeBytes} bytes`;
  const v = m.fileSizeBytes;
  if (v === undefined || v === null) return missing('file-size', 'file size', threshold, rules);
  if (!isCount(v)) return invalid('file-size', v, threshold, `file size ${String(v)} is not a whole number of bytes`);
  if (v < rules.minFileSizeBytes) {
    return invalid('file-size', v, threshold, `file size ${v} bytes below ${rules.minFileSizeBytes} (image empty or truncated)`);
  }
  if (v > rules.maxFileSizeBytes) {
    return invalid('file-size', v, threshold, `file size ${v} bytes above ${rules.maxFileSizeBytes} (image implausibly large)`);
  }
  return { rule: 'file-size', passed: true, value: v, threshold };
}

function checkBarcode(m: ScanImageMetrics, rules: QcRuleSet): QcCheckResult {
  const v = m.barcodeRead;
  if (!rules.requireBarcodeRead) {
    return { rule: 'barcode', passed: true, value: typeof v === 'boolean' ? v : null, threshold: 'not required' };
  }
  const threshold = 'barcode read';
  if (v === undefined || v === null) return missing('barcode', 'barcode read', threshold, rules);
  if (typeof v !== 'boolean') return invalid('barcode', v, threshold, `barcode read flag ${String(v)} is not true or false`);
  if (!v) return invalid('barcode', v, threshold, 'barcode not read (label unreadable; slide cannot be matched)');
  return { rule: 'barcode', passed: true, value: v, threshold };
}

function checkStitching(m: ScanImageMetrics, rules: QcRuleSet): QcCheckResult {
  const threshold = `<= ${rules.maxStitchingErrors}`;
  const v = m.stitchingErrors;
  if (v === undefined || v === null) return missing('stitching', 'stitching errors', threshold, rules);
  if (!isCount(v)) return invalid('stitching', v, threshold, `stitching errors ${String(v)} is not a whole number`);
  if (v > rules.maxStitchingErrors) {
    return invalid('stitching', v, threshold, `stitching errors ${v} above ${rules.maxStitchingErrors} (tiles misaligned)`);
  }
  return { rule: 'stitching', passed: true, value: v, threshold };
}

/**
 * Judges one scanned image against a rule set: one check per rule, passed only when every check
 * passed. A reported metric that is not a valid value (NaN, a focus score of 1.5, -3 stitching
 * errors) always fails its check, whatever `missingMetric` says.
 */
export function evaluateScanQuality(metrics: ScanImageMetrics, rules: QcRuleSet): QcEvaluation {
  const checks = [
    checkFocus(metrics, rules),
    checkTissue(metrics, rules),
    checkFileSize(metrics, rules),
    checkBarcode(metrics, rules),
    checkStitching(metrics, rules),
  ];
  const reasons = checks.filter((c) => !c.passed).map((c) => c.reason ?? `${c.rule} check failed`);
  return { passed: reasons.length === 0, rulesVersion: rules.version, checks, reasons };
}

export type QcRuleSetValidation = { ok: true; rules: QcRuleSet } | { ok: false; problems: string[] };

const RULE_SET_FIELDS: readonly (keyof QcRuleSet)[] = [
  'version',
  'minFocusScore',
  'minTissueCoverage',
  'minFileSizeBytes',
  'maxFileSizeBytes',
  'requireBarcodeRead',
  'maxStitchingErrors',
  'missingMetric',
];

function show(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  return Array.isArray(x) ? 'an array' : typeof x;
}

/**
 * Checks a rule set that came from configuration (parsed JSON, environment...). On success returns
 * a fresh rule set holding only the known fields; otherwise every problem found, one line each.
 */
export function validateQcRuleSet(raw: unknown): QcRuleSetValidation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [`rule set must be an object, got ${show(raw)}`] };
  }
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];

  for (const key of Object.keys(r).sort()) {
    if (!(RULE_SET_FIELDS as readonly string[]).includes(key)) problems.push(`${key}: unknown field`);
  }

  const fraction = (key: keyof QcRuleSet): void => {
    if (!isFraction(r[key])) problems.push(`${key}: must be a number between 0 and 1, got ${show(r[key])}`);
  };
  const count = (key: keyof QcRuleSet): void => {
    if (!isCount(r[key])) problems.push(`${key}: must be a whole number >= 0, got ${show(r[key])}`);
  };

  if (typeof r.version !== 'string' || r.version.trim() === '') {
    problems.push(`version: must be a non-empty string, got ${show(r.version)}`);
  }
  fraction('minFocusScore');
  fraction('minTissueCoverage');
  count('minFileSizeBytes');
  count('maxFileSizeBytes');
  if (isCount(r.minFileSizeBytes) && isCount(r.maxFileSizeBytes) && r.maxFileSizeBytes < r.minFileSizeBytes) {
    problems.push(`maxFileSizeBytes: ${r.maxFileSizeBytes} is below minFileSizeBytes ${r.minFileSizeBytes}`);
  }
  if (typeof r.requireBarcodeRead !== 'boolean') {
    problems.push(`requireBarcodeRead: must be true or false, got ${show(r.requireBarcodeRead)}`);
  }
  count('maxStitchingErrors');
  if (r.missingMetric !== 'pass' && r.missingMetric !== 'fail') {
    problems.push(`missingMetric: must be "pass" or "fail", got ${show(r.missingMetric)}`);
  }

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    rules: {
      version: r.version as string,
      minFocusScore: r.minFocusScore as number,
      minTissueCoverage: r.minTissueCoverage as number,
      minFileSizeBytes: r.minFileSizeBytes as number,
      maxFileSizeBytes: r.maxFileSizeBytes as number,
      requireBarcodeRead: r.requireBarcodeRead as boolean,
      maxStitchingErrors: r.maxStitchingErrors as number,
      missingMetric: r.missingMetric as 'pass' | 'fail',
    },
  };
}
