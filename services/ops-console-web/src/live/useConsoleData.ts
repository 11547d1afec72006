import type { ChargeActivity, LagMeasure, LagSeries, LagWindow, OpsOverview } from '@slidecharge/contracts/ops-console';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../auth/session';
import { useLive, type LiveState } from './live';

const FEED_LENGTH = 30;

export interface ConsoleData {
  overview: OpsOverview | undefined;
  overviewError: unknown;
  lag: LagSeries | undefined;
  lagError: unknown;
  activity: ChargeActivity[];
  live: LiveState;
}

/**
 * The overview, the chosen lag series and the activity feed: first read over GET, then kept current
 * by GET /api/live. The stream's `lag` event is scan-to-charge over 1 h; other choices are re-read
 * whenever the overview changes.
 */
export function useConsoleData(measure: LagMeasure, window: LagWindow, view: 'console' | 'wall'): ConsoleData {
  const { accessToken } = useSession();
  const [overview, setOverview] = useState<OpsOverview>();
  const [overviewError, setOverviewError] = useState<unknown>();
  const [lag, setLag] = useState<LagSeries>();
  const [lagError, setLagError] = useState<unknown>();
  const [activity, setActivity] = useState<ChargeActivity[]>([]);

  useEffect(() => {
    api.overview().then(setOverview, setOverviewError);
  }, []);

  const readLag = useCallback(() => {
    api.chargeLag(measure, window).then(
      (series) => {
        setLag(series);
        setLagError(undefined);
      },
      setLagError,
    );
  }, [measure, window]);
  useEffect(readLag, [readLag]);

  const streamed = measure === 'scan-to-charge' && window === '1h';
  const live = useLive(accessToken, view, {
    overview: (data) => {
      setOverview(data);
      setOverviewError(undefined);
      if (!streamed) readLag();
    },
    lag: (data) => {
      if (data.measure === measure && data.window === window) setLag(data);
    },
    activity: (data) => setActivity((feed) => [data, ...feed.filter((a) => a.id !== data.id)].slice(0, FEED_LENGTH)),
  });

  return { overview, overviewError, lag, lagError, activity, live };
}
