import { useId, useState, type FormEvent } from 'react';
import { Dialog } from './Dialog';
import { ErrorNote } from './Notice';

export interface JustifiedAction {
  title: string;
  /** What happens, in one sentence, shown above the text box. */
  effect: string;
  confirm: string;
  minLength: number;
  run(justification: string): Promise<void>;
}

/** Asks why before an action that changes something; the text goes to the audit trail. */
export function JustificationDialog({ action, onClose }: { action: JustifiedAction | undefined; onClose(): void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const fieldId = useId();
  const hintId = useId();
  const close = () => {
    setText('');
    setError(undefined);
    onClose();
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!action) return;
    setBusy(true);
    setError(undefined);
    try {
      await action.run(text.trim());
      close();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const short = text.trim().length < (action?.minLength ?? 0);
  return (
    <Dialog title={action?.title ?? ''} open={action !== undefined} onClose={close}>
      <form onSubmit={submit} className="stack">
        <p>{action?.effect}</p>
        <label htmlFor={fieldId}>Justification (kept in the audit trail with your name)</label>
        <textarea id={fieldId} aria-describedby={hintId} required minLength={action?.minLength} rows={4} value={text} onChange={(e) => setText(e.target.value)} autoFocus />
        <p id={hintId} className="hint">
          At least {action?.minLength} characters.
        </p>
        <ErrorNote error={error} />
        <div className="row">
          <button type="submit" className="button-primary" disabled={busy || short}>
            {busy ? 'Working…' : action?.confirm}
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
