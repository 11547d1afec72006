import type { LiveState } from '../live/live';

const TEXT: Record<LiveState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  'signed-out': 'not signed in',
};

/** The live stream's state, as text and a shape (never colour alone). */
export function LiveBadge({ state }: { state: LiveState }) {
  return (
    <span className={`live live-${state}`} role="status" aria-live="polite" data-testid="live-state">
      <span aria-hidden="true">{state === 'live' ? '●' : '○'}</span> {TEXT[state]}
    </span>
  );
}
