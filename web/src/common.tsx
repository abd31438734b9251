import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { CkaDomain, Difficulty } from '../../server/scenarios/types.js';

export const DOMAINS: Record<CkaDomain, { label: string; weight: number }> = {
  'cluster-architecture': { label: 'Cluster Architecture', weight: 25 },
  'workloads-scheduling': { label: 'Workloads & Scheduling', weight: 15 },
  'services-networking': { label: 'Services & Networking', weight: 20 },
  storage: { label: 'Storage', weight: 10 },
  troubleshooting: { label: 'Troubleshooting', weight: 30 },
};

export function domainLabel(d: string): string {
  return DOMAINS[d as CkaDomain]?.label ?? d;
}

export function DifficultyBadge({ d }: { d: Difficulty | string }) {
  return <span className={`badge diff-${d}`}>{d}</span>;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m % 60).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Re-renders every `ms` while `on`. */
export function useTick(on: boolean, ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [on, ms]);
  return now;
}

export function Logo() {
  return (
    <a className="logo" href="#/" aria-label="Kubedrill home">
      <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 1.5 21.5 7v10L12 22.5 2.5 17V7z" fill="#326ce5" />
        <path d="M12 6v6l5 3M12 12l-5 3" stroke="#fff" strokeWidth="2" fill="none" strokeLinecap="round" />
      </svg>
      <span>Kubedrill</span>
    </a>
  );
}

export interface ConfirmProps {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/** A modal confirmation using <dialog> (focus trap and Escape for free). */
export function ConfirmDialog({ open, title, children, confirmLabel, danger, onConfirm, onCancel }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" onCancel={(e) => (e.preventDefault(), onCancel())} aria-labelledby="dlg-title">
      <h2 id="dlg-title">{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function ClockIcon() {
  return (
    <svg className="icon" width="13" height="13" viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    </svg>
  );
}
