import type { ReactNode } from 'react';
import { describeError } from '../api/errors';

/** An error in words, announced to screen readers. */
export function ErrorNote({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  return (
    <div className="notice notice-error" role="alert">
      <span aria-hidden="true" className="notice-icon">
        ✖
      </span>{' '}
      {what ? <strong>{what}: </strong> : null}
      {describeError(error)}
    </div>
  );
}

export function Warning({ children }: { children: ReactNode }) {
  return (
    <div className="notice notice-warning" role="status">
      <span aria-hidden="true" className="notice-icon">
        ⚠
      </span>{' '}
      {children}
    </div>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <div className="notice notice-ok" role="status">
      <span aria-hidden="true" className="notice-icon">
        ✔
      </span>{' '}
      {children}
    </div>
  );
}

/** What an empty list means and what to do. */
export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
