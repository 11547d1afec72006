import { useState } from 'react';
import { api } from '../../api/client';
import type { UnmatchedScan, UnmatchedScanState } from '../../api/types';
import { may } from '../../auth/roles';
import { useSession } from '../../auth/session';
import { JustificationDialog, type JustifiedAction } from '../../ui/JustificationDialog';
import { LabTime } from '../../ui/LabTime';
import { Empty, ErrorNote, Loading, Success } from '../../ui/Notice';
import { useLoad } from '../../ui/useLoad';
import { Rescans } from './Rescans';

const STATES: UnmatchedScanState[] = ['open', 'matched', 'dismissed'];

/** Scans whose slide is on no case, and slides QC sent back for a rescan. */
export function UnmatchedView() {
  const { roles } = useSession();
  const [state, setState] = useState<UnmatchedScanState>('open');
  const page = useLoad(() => api.unmatchedScans(state), state);
  const [action, setAction] = useState<JustifiedAction>();
  const [result, setResult] = useState<string>();
  const canDismiss = may(roles, 'dismiss-scan');
  const dismiss = (s: UnmatchedScan): JustifiedAction => ({
    title: 'Dismiss the unmatched scan',
    effect: `Scan of slide ${s.slideBarcode} leaves the work list: no case will take it.`,
    confirm: 'Dismiss scan',
    minLength: 5,
    run: async (j) => {
      await api.dismissScan(s.scanId, j);
      setResult(`Scan of ${s.slideBarcode} dismissed.`);
      page.reload();
    },
  });
  const items = page.data?.items ?? [];
  return (
    <>
      <h1>Unmatched scans</h1>
      <div className="row filters">
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value as UnmatchedScanState)}>
            {STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      {result ? <Success>{result}</Success> : null}
      <ErrorNote error={page.error} what="The unmatched scans could not be read" />
      {page.loading && !page.data ? <Loading what="unmatched scans" /> : null}
      {page.data && items.length === 0 ? <Empty>No {state} unmatched scan. Scans whose slide is on no case appear here until a case takes them.</Empty> : null}
      {items.length > 0 ? (
        <table className="table">
          <caption>{state} unmatched scans, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Slide</th>
              <th scope="col">Scanner</th>
              <th scope="col">Scanned</th>
              <th scope="col" className="num">
                Waiting (h)
              </th>
              <th scope="col">Outcome</th>
              {canDismiss && state === 'open' ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.scanId}>
                <th scope="row">{s.slideBarcode}</th>
                <td>{s.scannerId}</td>
                <td>
                  <LabTime at={s.scannedAt} />
                </td>
                <td className="num">{s.waitingHours}</td>
                <td>{s.matchedAccession ? `matched to ${s.matchedAccession}` : s.dismissal ? `dismissed by ${s.dismissal.by}: ${s.dismissal.reason}` : 'waiting'}</td>
                {canDismiss && state === 'open' ? (
                  <td className="actions">
                    <button type="button" onClick={() => setAction(dismiss(s))}>
                      Dismiss
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Rescans />
      <JustificationDialog action={action} onClose={() => setAction(undefined)} />
    </>
  );
}
