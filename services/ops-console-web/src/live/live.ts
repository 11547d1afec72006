import { fetchEventSource } from '@microsoft/fetch-event-source';
import type { ChargeActivity, LagSeries, OpsOverview } from '@slidecharge/contracts/ops-console';
import { useEffect, useState } from 'react';
import { isEventStream, reconnectDelayMs } from './reconnect';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

export interface LiveHandlers {
  overview?(data: OpsOverview): void;
  lag?(data: LagSeries): void;
  activity?(data: ChargeActivity): void;
}

class RetriableError extends Error {}

/**
 * GET /api/live (server-sent events with the Authorization header, which EventSource cannot send).
 * Reconnects on its own; a new access token (silent renew) makes a new connection with it.
 */
export function useLive(accessToken: string | undefined, view: 'console' | 'wall', handlers: LiveHandlers): LiveState {
  const [state, setState] = useState<LiveState>(accessToken ? 'connecting' : 'signed-out');
  // The handlers are read through a ref-like holder so a re-render does not reconnect.
  const [holder] = useState<{ current: LiveHandlers }>({ current: handlers });
  holder.current = handlers;

  useEffect(() => {
    if (!accessToken) {
      setState('signed-out');
      return;
    }
    const abort = new AbortController();
    let failures = 0;
    setState((s) => (s === 'live' ? 'reconnecting' : 'connecting'));
    void fetchEventSource(`/api/live${view === 'wall' ? '?view=wall' : ''}`, {
      headers: { authorization: `Bearer ${accessToken}` },
      signal: abort.signal,
      openWhenHidden: true,
      async onopen(response) {
        if (isEventStream(response.status, response.headers.get('content-type'))) {
          failures = 0;
          setState('live');
          return;
        }
        throw new RetriableError(`live stream refused: ${response.status}`);
      },
      onmessage(message) {
        if (!message.data) return;
        const data: unknown = JSON.parse(message.data);
        if (message.event === 'overview') holder.current.overview?.(data as OpsOverview);
        else if (message.event === 'lag') holder.current.lag?.(data as LagSeries);
        else if (message.event === 'activity') holder.current.activity?.(data as ChargeActivity);
      },
      onclose() {
        setState('reconnecting');
        throw new RetriableError('live stream closed by the server');
      },
      onerror() {
        if (abort.signal.aborted) throw new Error('stopped');
        setState('reconnecting');
        failures += 1;
        return reconnectDelayMs(failures);
      },
    }).catch(() => undefined);
    return () => abort.abort();
  }, [accessToken, view, holder]);

  return state;
}
