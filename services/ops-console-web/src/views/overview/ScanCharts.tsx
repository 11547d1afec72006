import type { OpsOverview } from '@slidecharge/contracts/ops-console';
import { useMemo } from 'react';
import { formatRatio } from '../../format/units';
import { breakdownOf } from '../../metrics/breakdowns';
import { Chart } from '../../ui/Chart';

function bars(entries: Array<{ key: string; value: number }>, name: string, percent = false) {
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => (percent ? formatRatio(Number(v)) : String(v)) },
    grid: { left: 110, right: 30, top: 20, bottom: 30 },
    xAxis: { type: 'value', axisLabel: percent ? { formatter: (v: number) => formatRatio(v) } : {} },
    yAxis: { type: 'category', data: entries.map((e) => e.key), inverse: true },
    series: [{ name, type: 'bar', data: entries.map((e) => e.value), label: { show: true, position: 'right', formatter: (p: { value: number }) => (percent ? formatRatio(p.value) : String(p.value)) } }],
  };
}

/** Scans per scanner in the last hour, and the QC failure rate by reason (24 h: scans failing for it / scans judged). */
export function ScanCharts({ overview }: { overview: OpsOverview | undefined }) {
  const scans = breakdownOf(overview?.metrics['scans.last-hour'], 'scanner');
  const reasons = breakdownOf(overview?.metrics['qc.failure-rate.24h'], 'reason');
  const scanOption = useMemo(() => bars(scans, 'scans'), [scans]);
  const reasonOption = useMemo(() => bars(reasons, 'failure rate', true), [reasons]);
  return (
    <section aria-labelledby="scans-title" className="two-columns">
      <h2 id="scans-title" className="span-all">
        Scanners and QC
      </h2>
      <figure>
        <figcaption>Scans per scanner, last hour</figcaption>
        <Chart option={scanOption} label={scans.length ? `Scans per scanner: ${scans.map((e) => `${e.key} ${e.value}`).join(', ')}` : 'No scans in the last hour'} height={240} />
      </figure>
      <figure>
        <figcaption>QC failure rate by reason, last 24 hours</figcaption>
        <Chart option={reasonOption} label={reasons.length ? `QC failure rate by reason: ${reasons.map((e) => `${e.key} ${formatRatio(e.value)}`).join(', ')}` : 'No QC failure in the last 24 hours'} height={240} />
      </figure>
    </section>
  );
}
