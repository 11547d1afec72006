import { OPS_METRIC_IDS, type LagMeasure, type LagWindow } from '@slidecharge/contracts/ops-console';
import { useState } from 'react';
import { useSession } from '../../auth/session';
import { formatLabDateTime } from '../../format/time';
import { useConsoleData } from '../../live/useConsoleData';
import { LagChart } from '../../ui/LagChart';
import { LiveBadge } from '../../ui/LiveBadge';
import { MetricCard } from '../../ui/MetricCard';
import { ErrorNote, Loading } from '../../ui/Notice';
import { ActivityFeed } from './ActivityFeed';
import { Breakdowns } from './Breakdowns';
import { LagControls } from './LagControls';
import { ScanCharts } from './ScanCharts';

/** Today's numbers, what is at risk, the charge lag and what just happened. */
export function OverviewView() {
  const { config } = useSession();
  const [measure, setMeasure] = useState<LagMeasure>('scan-to-charge');
  const [window, setWindow] = useState<LagWindow>('1h');
  const data = useConsoleData(measure, window, 'console');
  const { overview } = data;
  return (
    <>
      <div className="view-head">
        <h1>Overview</h1>
        <LiveBadge state={data.live} />
        {overview ? <span className="as-of">as of {formatLabDateTime(overview.asOf, config.labTimeZone)}</span> : null}
      </div>
      <ErrorNote error={data.overviewError} what="The numbers could not be read" />
      {!overview && !data.overviewError ? <Loading what="the numbers" /> : null}
      <section aria-labelledby="numbers-title">
        <h2 id="numbers-title">Numbers</h2>
        <div className="cards">
          {OPS_METRIC_IDS.map((id) => (
            <MetricCard key={id} id={id} reading={overview?.metrics[id]} />
          ))}
        </div>
      </section>
      <section aria-labelledby="lag-title">
        <h2 id="lag-title">Charge lag</h2>
        <LagControls measure={measure} window={window} onMeasure={setMeasure} onWindow={setWindow} />
        <ErrorNote error={data.lagError} what="The charge lag could not be read" />
        <LagChart series={data.lag} timeZone={config.labTimeZone} />
      </section>
      <ScanCharts overview={overview} />
      <ActivityFeed activity={data.activity} />
      <Breakdowns overview={overview} />
    </>
  );
}
