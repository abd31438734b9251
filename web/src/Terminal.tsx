import { useEffect, useRef, useState } from 'react';
import { Terminal as XTerm } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';
import { wsUrl } from './request.js';

type Status = 'connecting' | 'connected' | 'reconnecting' | 'exited' | 'replaced' | 'closed';

const THEME = {
  background: '#0f1419',
  foreground: '#d7dde5',
  cursor: '#f0c674',
  selectionBackground: '#3a4a5e',
  black: '#1c2128',
  brightBlack: '#5c6773',
  red: '#f07178',
  brightRed: '#ff8f95',
  green: '#aad94c',
  brightGreen: '#c2f06a',
  yellow: '#e6b450',
  brightYellow: '#ffd173',
  blue: '#59c2ff',
  brightBlue: '#73d0ff',
  magenta: '#d2a6ff',
  brightMagenta: '#dfbfff',
  cyan: '#95e6cb',
  brightCyan: '#a6f0da',
  white: '#c7c7c7',
  brightWhite: '#ffffff',
};

const enc = new TextEncoder();

export interface TerminalPaneProps {
  /** Session id, or any owner key of the socket (an exam run id with `socketPath`). */
  sessionId: string;
  /** WebSocket path and id parameter; default ws/terminal?session=<sessionId>. */
  socketPath?: string;
  idParam?: string;
  node: string;
  active: boolean;
  onStatus?: (node: string, s: Status) => void;
}

/**
 * One xterm per node, attached to /ws/terminal. Input goes out as binary
 * frames, resizes as JSON; the server keeps the shell across reconnects.
 */
export function TerminalPane({ sessionId, node, active, onStatus, socketPath = 'ws/terminal', idParam = 'session' }: TerminalPaneProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<XTerm | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const wsRef = useRef<WebSocket | null>(null);
  const [status, setStatus] = useState<Status>('connecting');
  const [reconnectKey, setReconnectKey] = useState(0);

  useEffect(() => {
    onStatus?.(node, status);
  }, [status, node, onStatus]);

  // Create the terminal once.
  useEffect(() => {
    const term = new XTerm({
      theme: THEME,
      fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: false,
      convertEol: false,
      rightClickSelectsWord: false,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.loadAddon(new WebLinksAddon((_e, uri) => window.open(uri, '_blank', 'noopener,noreferrer')));
    term.open(hostRef.current!);
    termRef.current = term;
    fitRef.current = fit;

    const send = (data: string) => {
      const ws = wsRef.current;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(enc.encode(data));
    };
    const pasteFromClipboard = async () => {
      try {
        const text = await navigator.clipboard.readText();
        if (text) term.paste(text);
      } catch {
        term.write('\r\n\x1b[33m[paste blocked by the browser: use Ctrl+Shift+V]\x1b[0m\r\n');
      }
    };
    const copySelection = () => {
      const sel = term.getSelection();
      if (sel) void navigator.clipboard?.writeText(sel).catch(() => {});
    };
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      const k = e.key.toLowerCase();
      if (e.ctrlKey && e.shiftKey && k === 'c') {
        copySelection();
        e.preventDefault();
        return false;
      }
      // Ctrl+Shift+V / Shift+Insert: let the browser fire its paste event, which xterm handles.
      if ((e.ctrlKey && e.shiftKey && k === 'v') || (e.shiftKey && k === 'insert')) return false;
      return true;
    });
    const onData = term.onData(send);
    const onBinary = term.onBinary((d) => {
      const ws = wsRef.current;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(Uint8Array.from(d, (c) => c.charCodeAt(0)));
    });
    const onResize = term.onResize(({ cols, rows }) => {
      const ws = wsRef.current;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    const el = hostRef.current!;
    const onContext = (e: MouseEvent) => {
      e.preventDefault();
      if (term.hasSelection()) {
        copySelection();
        term.clearSelection();
      } else void pasteFromClipboard();
    };
    el.addEventListener('contextmenu', onContext);
    const ro = new ResizeObserver(() => {
      if (el.offsetParent !== null) {
        try {
          fit.fit();
        } catch {
          /* not visible */
        }
      }
    });
    ro.observe(el);
    (el as HTMLDivElement & { __kdTerm?: XTerm }).__kdTerm = term; // for tests and debugging
    return () => {
      ro.disconnect();
      el.removeEventListener('contextmenu', onContext);
      onData.dispose();
      onBinary.dispose();
      onResize.dispose();
      term.dispose();
      termRef.current = null;
    };
  }, []);

  // Connect (and reconnect) the socket.
  useEffect(() => {
    const term = termRef.current!;
    let stopped = false;
    let retry: number | undefined;
    let delay = 500;
    const connect = () => {
      try {
        fitRef.current?.fit();
      } catch {
        /* hidden */
      }
      const ws = new WebSocket(wsUrl(socketPath, { [idParam]: sessionId, node, cols: term.cols, rows: term.rows }));
      ws.binaryType = 'arraybuffer';
      wsRef.current = ws;
      let endedByServer: Status | null = null;
      ws.onopen = () => {
        delay = 500;
        setStatus('connected');
      };
      ws.onmessage = (ev) => {
        if (ev.data instanceof ArrayBuffer) {
          term.write(new Uint8Array(ev.data));
          return;
        }
        let m: { type: string; code?: string; message?: string; exitCode?: number; reattached?: boolean };
        try {
          m = JSON.parse(String(ev.data));
        } catch {
          return;
        }
        if (m.type === 'attached') {
          if (m.reattached) term.reset();
        } else if (m.type === 'exit') {
          endedByServer = 'exited';
          term.write(`\r\n\x1b[90m[shell exited${m.exitCode !== undefined && m.exitCode >= 0 ? ` with code ${m.exitCode}` : ''}. Press Enter to open a new one.]\x1b[0m\r\n`);
        } else if (m.type === 'error') {
          if (m.code === 'replaced') endedByServer = 'replaced';
          term.write(`\r\n\x1b[33m[${m.message}]\x1b[0m\r\n`);
        }
      };
      ws.onclose = () => {
        if (wsRef.current === ws) wsRef.current = null;
        if (stopped) return;
        if (endedByServer) {
          setStatus(endedByServer);
          // Enter re-opens a fresh shell (after exit) or takes the terminal back (after replaced).
          const d = term.onData((s) => {
            if (s === '\r') {
              d.dispose();
              setStatus('connecting');
              connect();
            }
          });
          return;
        }
        setStatus('reconnecting');
        retry = window.setTimeout(connect, delay);
        delay = Math.min(delay * 2, 8000);
      };
    };
    connect();
    return () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      wsRef.current?.close();
      wsRef.current = null;
    };
  }, [sessionId, node, reconnectKey, socketPath, idParam]);

  // Fit and focus when the tab becomes visible.
  useEffect(() => {
    if (!active) return;
    const t = window.setTimeout(() => {
      try {
        fitRef.current?.fit();
      } catch {
        /* ignore */
      }
      termRef.current?.focus();
    }, 0);
    return () => clearTimeout(t);
  }, [active]);

  return (
    <div className="term-wrap" hidden={!active} data-node={node} data-status={status}>
      <div className="term-toolbar">
        <span className={`dot dot-${status}`} aria-hidden="true" />
        <span className="term-status" aria-live="polite">
          {status === 'connected' ? `root@${node}` : status}
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="btn btn-ghost btn-xs"
          title="Copy selection (Ctrl+Shift+C)"
          onClick={() => {
            const s = termRef.current?.getSelection();
            if (s) void navigator.clipboard?.writeText(s);
            termRef.current?.focus();
          }}
        >
          Copy
        </button>
        <button
          type="button"
          className="btn btn-ghost btn-xs"
          title="Paste (Ctrl+Shift+V or right-click)"
          onClick={async () => {
            try {
              const t = await navigator.clipboard.readText();
              if (t) termRef.current?.paste(t);
            } catch {
              /* blocked */
            }
            termRef.current?.focus();
          }}
        >
          Paste
        </button>
        {status !== 'connected' && (
          <button type="button" className="btn btn-ghost btn-xs" onClick={() => setReconnectKey((k) => k + 1)}>
            Reconnect
          </button>
        )}
      </div>
      <div className="term-host" ref={hostRef} aria-label={`Terminal on ${node}`} />
    </div>
  );
}
