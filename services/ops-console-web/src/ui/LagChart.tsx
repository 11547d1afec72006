import type { LagSeries } from '@slidecharge/contracts/ops-console';
import { useMemo } from 'react';
import { formatLabClock, zoneName } from '../format/time';
import { formatDuration } from '../format/units';
import { Chart } from './Chart';

/** Charge lag over time: p50, p95 and max per bucket, in the lab's time zone. */
export function LagChart({ series, timeZone, big = false }: { series: LagSeries | undefined; timeZone: string; big?: boolean }) {
  const points = series?.points ?? [];
  const option = useMemo(
    () => ({
      textStyle: { fontSize: big ? 22 : 12 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatDuration(Number(v)) },
      legend: { data: ['p50', 'p95', 'max'], textStyle: { fontSize: big ? 22 : 12 } },
      grid: { left: big ? 120 : 70, right: 30, top: big ? 60 : 40, bottom: big ? 70 : 50 },
      xAxis: {
        type: 'category',
        name: `time (${zoneName(new Date(), timeZone)})`,
        nameLocation: 'middle',
        nameGap: big ? 45 : 30,
        data: points.map((p) => formatLabClock(p.at, timeZone)),
        axisLabel: { fontSize: big ? 20 : 12 },
      },
      yAxis: { type: 'value', name: 'lag', axisLabel: { formatter: (v: number) => formatDuration(v), fontSize: big ? 20 : 12 } },
      series: [
        { name: 'p50', type: 'line', symbol: 'circle', symbolSize: big ? 12 : 7, areaStyle: { opacity: 0.25 }, data: points.map((p) => p.p50) },
        { name: 'p95', type: 'line', symbol: 'triangle', symbolSize: big ? 14 : 8, lineStyle: { type: 'dashed' }, data: points.map((p) => p.p95) },
        { name: 'max', type: 'line', symbol: 'rect', symbolSize: big ? 12 : 7, lineStyle: { type: 'dotted' }, data: points.map((p) => p.max) },
      ],
    }),
    [points, timeZone, big],
  );
  const last = points[points.length - 1];
  const label = last
    ? `Charge lag, ${points.length} points; latest at ${formatLabClock(last.at, timeZone)}: p50 ${formatDuration(last.p50)}, p95 ${formatDuration(last.p95)}, max ${formatDuration(last.max)}`
    : 'Charge lag: no charge posted in this window yet';
  return (
    <figure className="lag-chart" data-testid="lag-chart" data-points={points.length} data-charges={points.reduce((sum, p) => sum + p.count, 0)}>
      <Chart option={option} label={label} height={big ? '100%' : 320} dark={big} />
      <figcaption className={big ? 'sr-only' : 'caption'}>{label}</figcaption>
    </figure>
  );
}
