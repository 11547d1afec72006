import { useEffect } from 'react';
import { useSession } from '../../auth/session';
import { formatLabClock, zoneName } from '../../format/time';
import { useConsoleData } from '../../live/useConsoleData';
import { wallMetricIds } from '../../metrics/breakdowns';
import { LagChart } from '../../ui/LagChart';
import { LiveBadge } from '../../ui/LiveBadge';
import { MetricCard } from '../../ui/MetricCard';

/**
 * The lab floor's wall screen: the wall metrics in big type, high contrast, the charge lag, no
 * navigation. It reads /api/live?view=wall, which carries no activity (no accession, no patient):
 * nothing here names a patient, a case or a person.
 */
export function WallView() {
  const { config } = useSession();
  const data = useConsoleData('scan-to-charge', '1h', 'wall');
  useEffect(() => {
    document.body.classList.add('wall-mode');
    return () => document.body.classList.remove('wall-mode');
  }, []);
  const asOf = data.overview?.asOf;
  return (
    <main id="main" className="wall" data-testid="wall">
      <header className="wall-head">
        <h1>{config.labName}: digitization charges</h1>
        <span className="wall-clock">{asOf ? `${formatLabClock(asOf, config.labTimeZone)} ${zoneName(asOf, config.labTimeZone)}` : ''}</span>
        <LiveBadge state={data.live} />
      </header>
      {data.overviewError ? <p className="wall-error">Numbers unavailable: reconnecting to the ops console server.</p> : null}
      <div className="wall-grid">
        <div className="wall-cards">
          {wallMetricIds().map((id) => (
            <MetricCard key={id} id={id} reading={data.overview?.metrics[id]} big />
          ))}
        </div>
        <section className="wall-chart" aria-label="Charge lag, last hour">
          <h2>Scan to charge, last hour</h2>
          <LagChart series={data.lag} timeZone={config.labTimeZone} big />
        </section>
      </div>
    </main>
  );
}
