import type { CheckResult } from '../../graders/types.js';

/**
 * The per-check list of a grade (a session's Check, an exam task's result):
 * pass/fail, points, and for a failed check what was expected and found.
 * `explainLabel` names the check's explanation ("Look at" in practice, "Why" in exam results).
 */
export function CheckResults({ checks, explainLabel }: { checks: CheckResult[]; explainLabel: string }) {
  return (
    <ul className="checks">
      {checks.map((c) => (
        <li key={c.id} className={`check ${c.passed ? 'pass' : 'fail'}`} data-check={c.id} data-passed={c.passed}>
          <div className="check-row">
            <span className="check-icon" aria-hidden="true">
              {c.passed ? '✓' : '✗'}
            </span>
            <span className="check-desc">
              {c.description}
              <span className="sr-only">{c.passed ? ' passed' : ' failed'}</span>
            </span>
            <span className="check-pts">
              {c.points}/{c.maxPoints}
            </span>
          </div>
          {!c.passed && (c.expected || c.actual || c.explain || c.error) && (
            <dl className="evidence">
              {c.expected && (
                <>
                  <dt>Expected</dt>
                  <dd>
                    <code>{c.expected}</code>
                  </dd>
                </>
              )}
              {c.actual && (
                <>
                  <dt>Found</dt>
                  <dd>
                    <code>{c.actual}</code>
                  </dd>
                </>
              )}
              {c.explain && (
                <>
                  <dt>{explainLabel}</dt>
                  <dd>{c.explain}</dd>
                </>
              )}
              {c.error && (
                <>
                  <dt>Check error</dt>
                  <dd>{c.error}</dd>
                </>
              )}
            </dl>
          )}
        </li>
      ))}
    </ul>
  );
}
