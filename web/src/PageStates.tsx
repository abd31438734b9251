import type { ReactNode } from 'react';
import { Logo } from './common.js';
import { ApiError } from './request.js';

function BarePage({ mainClass, children }: { mainClass: string; children: ReactNode }) {
  return (
    <div className="page">
      <header className="topbar">
        <Logo />
      </header>
      <main className={mainClass}>{children}</main>
    </div>
  );
}

/** The whole page while a session or exam run loads. */
export function LoadingPage({ children }: { children: ReactNode }) {
  return <BarePage mainClass="center-msg muted">{children}</BarePage>;
}

/**
 * The whole page when a session or exam run could not be loaded. A 404 or 403
 * means it is gone or another browser's: then `goneNote` says why.
 */
export function LoadFailedPage({
  error,
  what,
  goneNote,
  backHref,
  backLabel,
}: {
  error: Error;
  what: 'session' | 'exam';
  goneNote: string;
  backHref: string;
  backLabel: string;
}) {
  const gone = error instanceof ApiError && (error.status === 404 || error.status === 403);
  return (
    <BarePage mainClass="center-msg">
      <h1>{gone ? `${what === 'exam' ? 'Exam' : 'Session'} not available` : `Could not load the ${what}`}</h1>
      <p>{error.message}</p>
      {gone && <p className="muted">{goneNote}</p>}
      <a className="btn btn-primary" href={backHref}>
        {backLabel}
      </a>
    </BarePage>
  );
}
