import type { KeyboardEvent, ReactNode } from 'react';

/** What a tab shows of a node (a ClusterNode of a session or an exam cluster). */
export interface TabNode {
  name: string;
  role: string;
  alias: string;
}

/**
 * The node tabs above the terminals: one tab a node (`#tab-<node>`, controlling
 * `#panel-<node>`). `lead` goes before the tabs, `hint` after them; with
 * `arrowKeys` the tabs are one tab stop and Left / Right move between them.
 */
export function TerminalTabs({
  nodes,
  active,
  onSelect,
  label,
  lead,
  hint,
  arrowKeys = false,
}: {
  nodes: TabNode[];
  active: string;
  onSelect: (node: string) => void;
  label: string;
  lead?: ReactNode;
  hint: string;
  arrowKeys?: boolean;
}) {
  const onTabKey = (e: KeyboardEvent, idx: number) => {
    const n = nodes.length;
    let j = -1;
    if (e.key === 'ArrowRight') j = (idx + 1) % n;
    else if (e.key === 'ArrowLeft') j = (idx - 1 + n) % n;
    if (j >= 0) {
      e.preventDefault();
      onSelect(nodes[j]!.name);
      document.getElementById(`tab-${nodes[j]!.name}`)?.focus();
    }
  };
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {lead}
      {nodes.map((n, i) => (
        <button
          key={n.name}
          id={`tab-${n.name}`}
          role="tab"
          type="button"
          className={`tab ${active === n.name ? 'on' : ''}`}
          aria-selected={active === n.name}
          aria-controls={`panel-${n.name}`}
          tabIndex={arrowKeys ? (active === n.name ? 0 : -1) : undefined}
          onClick={() => onSelect(n.name)}
          onKeyDown={arrowKeys ? (e) => onTabKey(e, i) : undefined}
          title={n.name}
        >
          <span className={`role-dot role-${n.role}`} aria-hidden="true" />
          {n.alias}
        </button>
      ))}
      <span className="spacer" />
      <span className="tabs-hint">{hint}</span>
    </div>
  );
}

/** The panel of one node's tab (`#panel-<node>`), hidden unless its tab is active. */
export function TerminalPanel({ node, active, children }: { node: string; active: boolean; children: ReactNode }) {
  return (
    <div id={`panel-${node}`} role="tabpanel" aria-labelledby={`tab-${node}`} className="tabpanel" hidden={!active}>
      {children}
    </div>
  );
}
