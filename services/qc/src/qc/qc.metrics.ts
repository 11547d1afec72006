import { metricsRegistry } from '@slidecharge/messaging';
import { Counter } from 'prom-client';
import type { Judgement } from './verdict';

/** qc's business metrics, on its /metrics. scanner is the instrument id; reason is a rule name (never a slide, case or patient). */
export const qcMetrics = {
  verdicts: new Counter({
    name: 'slidecharge_qc_verdicts_total',
    help: 'QC verdicts by scanner, verdict (passed, failed) and reason: each failing rule (focus, tissue, file-size, barcode, stitching) once, none when passed; a scan failing two rules counts twice',
    labelNames: ['scanner', 'verdict', 'reason'],
    registers: [metricsRegistry],
  }),
  judged: new Counter({
    name: 'slidecharge_qc_scans_judged_total',
    help: 'Completed scans QC judged, once per scan, by scanner and verdict (the denominator of the QC failure rate)',
    labelNames: ['scanner', 'verdict'],
    registers: [metricsRegistry],
  }),
};

/** Counts one judgement: once in judged, once per failing rule (or once with reason none) in verdicts. */
export function countJudgement(scanner: string, judgement: Judgement): void {
  const verdict = judgement.passed ? 'passed' : 'failed';
  qcMetrics.judged.inc({ scanner, verdict });
  const failing = judgement.verdict.checks.filter((c) => !c.passed).map((c) => c.rule);
  for (const reason of failing.length > 0 ? failing : ['none']) qcMetrics.verdicts.inc({ scanner, verdict, reason });
}
