import type { LagSeries } from '@slidecharge/contracts/ops-console';
import { useMemo } from 'react';
import { formatLabClock, zoneName } from '../format/time';
import { formatDuration } from '../format/units';
import { Chart } from './Chart';

/** Charge lag over time: p50, p95 and max per bucket, in the lab's time zone. */
export function LagChart({ series, timeZone, big = false }: { series: LagSeries | undefined; timeZone: string; big?: boolean }) {
  const points = series?.points ?? [];
  // On the wall the chart's type grows with the screen (1080p: 24 px, 4K: 48 px).
  const fontSize = big ? Math.max(16, Math.round(window.innerWidth / 80)) : 12;
  const option = useMemo(
    () => ({
      textStyle: { fontSize },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatDuration(Number(v)) },
      legend: { data: ['p50', 'p95', 'max'], top: 0, right: 0, itemWidth: fontSize * 2, itemHeight: fontSize, textStyle: { fontSize } },
      grid: { left: fontSize * 6, right: fontSize * 2, top: fontSize * 3, bottom: fontSize * 4 },
      xAxis: {
        type: 'category',
        name: `time (${zoneName(new Date(), timeZone)})`,
        nameLocation: 'middle',
        nameGap: fontSize * 2.2,
        nameTextStyle: { fontSize },
        data: points.map((p) => formatLabClock(p.at, timeZone)),
        axisLabel: { fontSize },
      },
      yAxis: { type: 'value', name: 'lag', nameTextStyle: { fontSize }, axisLabel: { formatter: (v: number) => formatDuration(v), fontSize } },
      series: [
        { name: 'p50', type: 'line', symbol: 'circle', symbolSize: fontSize * 0.6, areaStyle: { opacity: 0.25 }, lineStyle: { width: big ? 4 : 2 }, data: points.map((p) => p.p50) },
        { name: 'p95', type: 'line', symbol: 'triangle', symbolSize: fontSize * 0.7, lineStyle: { type: 'dashed', width: big ? 4 : 2 }, data: points.map((p) => p.p95) },
        { name: 'max', type: 'line', symbol: 'rect', symbolSize: fontSize * 0.6, lineStyle: { type: 'dotted', width: big ? 4 : 2 }, data: points.map((p) => p.max) },
      ],
    }),
    [points, timeZone, fontSize, big],
  );
  const last = points[points.length - 1];
  const label = last
    ? `Charge lag, ${points.length} points; latest at ${formatLabClock(last.at, timeZone)}: p50 ${formatDuration(last.p50)}, p95 ${formatDuration(last.p95)}, max ${formatDuration(last.max)}`
    : 'Charge lag: no charge posted in this window yet';
  return (
    <figure className="lag-chart" data-testid="lag-chart" data-points={points.length} data-charges={points.reduce((sum, p) => sum + p.count, 0)}
      data-buckets={points.map((p) => `${p.at}=${p.count}`).join(' ')}
    >
      <Chart option={option} label={label} height={big ? '100%' : 320} dark={big} />
      {big && points.length === 0 ? (
        <p className="chart-empty" aria-hidden="true">
          No charge posted in the last hour yet
        </p>
      ) : null}
      <figcaption className={big ? 'sr-only' : 'caption'}>{label}</figcaption>
    </figure>
  );
}
