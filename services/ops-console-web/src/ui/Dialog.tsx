import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * A modal dialog (the browser's <dialog>: focus moves into it, Escape closes it, focus returns to the
 * button that opened it).
 */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose(): void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className="dialog">
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="button-quiet" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </div>
      {open ? children : null}
    </dialog>
  );
}
