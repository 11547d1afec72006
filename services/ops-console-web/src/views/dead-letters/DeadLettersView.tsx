import { useState } from 'react';
import { api } from '../../api/client';
import type { DeadLetterReplayResult, DeadLetterState, ListedDeadLetter } from '../../api/types';
import { may } from '../../auth/roles';
import { useSession } from '../../auth/session';
import { JustificationDialog, type JustifiedAction } from '../../ui/JustificationDialog';
import { LabTime } from '../../ui/LabTime';
import { Empty, ErrorNote, Loading, Success, Warning } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';
import { useQueryParam } from '../../ui/useQueryParam';
import { DeadLetterDetails } from './DeadLetterDetails';

const SERVICES = ['', 'accession', 'scanner-events', 'qc', 'billing'];
const STATES: Array<DeadLetterState | ''> = ['open', 'replayed', 'replay-failed', ''];

function outcomeText(o: DeadLetterReplayResult): string {
  if (o.alreadyReplayed) return 'It had been replayed already; nothing was sent again.';
  return o.outcome === 'consumed' ? 'Replayed: the service took the message this time.' : `Replayed, and it failed again: ${o.error ?? 'no reason given'}.`;
}

/** Messages the services set aside: filter, inspect, replay with a justification. */
export function DeadLettersView() {
  const { roles } = useSession();
  const [service, setService] = useQueryParam<string>('service', '');
  const [state, setState] = useQueryParam<DeadLetterState | ''>('state', 'open');
  const list = useLoad(() => api.deadLetters(service || undefined, state || undefined), `${service}|${state}`);
  const [inspected, setInspected] = useState<ListedDeadLetter>();
  const [action, setAction] = useState<JustifiedAction>();
  const [outcome, setOutcome] = useState<DeadLetterReplayResult>();
  const canReplay = may(roles, 'replay-dead-letter');
  const replay = (d: ListedDeadLetter): JustifiedAction => ({
    title: 'Replay the dead letter',
    effect: `The message from ${d.topic} (partition ${d.partition}, offset ${d.offset}) is given to ${d.service} again.`,
    confirm: 'Replay',
    // As the services' replay request (libs/service-kit dead-letters.dto.ts).
    minLength: 3,
    run: async (j) => {
      setOutcome(await api.replay(d.service, d.id, j));
      list.reload();
    },
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <h1>Dead letters</h1>
      <div className="row filters">
        <label>
          Service
          <select value={service} onChange={(e) => setService(e.target.value)}>
            {SERVICES.map((s) => (
              <option key={s} value={s}>
                {s || 'all services'}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value as DeadLetterState | '')}>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s || 'any state'}
              </option>
            ))}
          </select>
        </label>
      </div>
      {outcome ? outcome.outcome === 'consumed' || outcome.alreadyReplayed ? <Success>{outcomeText(outcome)}</Success> : <Warning>{outcomeText(outcome)}</Warning> : null}
      <ErrorNote error={list.error} what="The dead letters could not be read" />
      {list.loading && !list.data ? <Loading what="dead letters" /> : null}
      {list.data && items.length === 0 ? <Empty>No dead letter{state ? ` in state ${state}` : ''}. Messages a service cannot take appear here with the reason.</Empty> : null}
      {items.length > 0 ? (
        <table className="table" data-testid="dead-letter-table">
          <caption>
            {list.data?.total} dead letter{list.data?.total === 1 ? '' : 's'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Failed at</th>
              <th scope="col">Service</th>
              <th scope="col">Topic</th>
              <th scope="col">Reason</th>
              <th scope="col">State</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={`${d.service}/${d.id}`}>
                <th scope="row">
                  <LabTime at={d.failedAt} />
                </th>
                <td>{d.service}</td>
                <td>
                  {d.topic} <span className="muted">p{d.partition} @{d.offset}</span>
                </td>
                <td>
                  <strong>{d.reason}</strong>
                  <br />
                  <span className="muted">{d.message}</span>
                </td>
                <td>{d.state}</td>
                <td className="actions">
                  <button type="button" onClick={() => setInspected(d)}>
                    Inspect
                  </button>
                  {canReplay && d.state !== 'replayed' ? (
                    <button type="button" onClick={() => setAction(replay(d))}>
                      Replay
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {inspected ? <DeadLetterDetails listed={inspected} onClose={() => setInspected(undefined)} /> : null}
      <JustificationDialog action={action} onClose={() => setAction(undefined)} />
    </>
  );
}
