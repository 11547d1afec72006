import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { SERIES_COLOURS, SERIES_COLOURS_ON_DARK } from './palette';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

/**
 * An ECharts chart. Series get the Okabe–Ito colours and ECharts' decal patterns (aria), so no series
 * is told apart by colour alone; `label` is its text alternative (a table beside it has the numbers).
 */
export function Chart({ option, label, height = 320, dark = false }: { option: ChartOption; label: string; height?: number | string; dark?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, dark ? 'dark' : undefined, { renderer: 'canvas' });
    chart.current = instance;
    const resize = new ResizeObserver(() => instance.resize());
    resize.observe(ref.current);
    return () => {
      resize.disconnect();
      instance.dispose();
      chart.current = undefined;
    };
  }, [dark]);

  useEffect(() => {
    chart.current?.setOption({ color: dark ? SERIES_COLOURS_ON_DARK : SERIES_COLOURS, aria: { enabled: true, decal: { show: true } }, animation: false, ...option }, { notMerge: true });
  }, [option, dark]);

  return <div ref={ref} role="img" aria-label={label} className="chart" style={{ height }} />;
}
