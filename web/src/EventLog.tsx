import { useEffect, useRef } from 'react';
import { fmtDuration } from './common.js';

export interface LogLine {
  elapsedMs: number;
  /** Becomes the line's class `log-<kind>`. */
  kind: string;
  text: string;
}

/** The set-up output of a session or exam run, kept scrolled to its newest line. */
export function EventLog({ lines, label }: { lines: LogLine[]; label: string }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines.length]);
  return (
    <pre className="log" ref={ref} tabIndex={0} aria-label={label}>
      {lines.map((l, i) => (
        <div key={i} className={`log-line log-${l.kind}`}>
          <span className="log-t">{fmtDuration(l.elapsedMs)}</span> {l.text}
        </div>
      ))}
    </pre>
  );
}
