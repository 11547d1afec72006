import { QcVerdict, ScanEvent } from '@slidecharge/contracts';
import { evaluateScanQuality, QcRuleSet } from '@slidecharge/qc-rules';

export type ScanCompletedEvent = Extract<ScanEvent, { type: 'scan.completed' }>;

/** A judged scan: the row qc keeps and the verdict it publishes, built from the same facts. */
export interface Judgement {
  eventType: 'qc.passed' | 'qc.failed';
  passed: boolean;
  verdict: QcVerdict;
  evaluatedAt: Date;
}

/**
 * Judges a completed scan against the rule set in force. A scan that reported no image facts is
 * judged on none (each check then follows the rule set's `missingMetric`).
 */
export function judgeScan(event: ScanCompletedEvent, rules: QcRuleSet, evaluatedAt: Date): Judgement {
  const evaluation = evaluateScanQuality(event.data.image ?? {}, rules);
  const verdict: QcVerdict = {
    scanId: event.data.scanId,
    slideBarcode: event.data.slideBarcode,
    scanEventId: event.eventId,
    rulesVersion: evaluation.rulesVersion,
    checks: evaluation.checks.map((c) => ({
      rule: c.rule,
      passed: c.passed,
      value: c.value,
      threshold: c.threshold,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
    })),
    reasons: evaluation.reasons,
  };
  return { eventType: evaluation.passed ? 'qc.passed' : 'qc.failed', passed: evaluation.passed, verdict, evaluatedAt };
}

/** Position in the newest-first list of results: the last item of the page already seen. */
export interface ResultCursor {
  evaluatedAt: Date;
  scanId: string;
}

export function encodeCursor(cursor: ResultCursor): string {
  return Buffer.from(JSON.stringify([cursor.evaluatedAt.toISOString(), cursor.scanId]), 'utf8').toString('base64url');
}

/** Reads a cursor given back by a client; undefined when it is not one this service wrote. */
export function decodeCursor(text: string): ResultCursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [at, scanId] = value as unknown[];
    if (typeof at !== 'string' || typeof scanId !== 'string' || scanId.length === 0) return undefined;
    const evaluatedAt = new Date(at);
    if (Number.isNaN(evaluatedAt.getTime()) || evaluatedAt.toISOString() !== at) return undefined;
    return { evaluatedAt, scanId };
  } catch {
    return undefined;
  }
}
