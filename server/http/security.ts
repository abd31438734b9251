/**
 * Small security helpers for the HTTP/WebSocket layer: id validation,
 * Host/Origin checks (DNS-rebinding and cross-site WebSocket protection) and
 * per-session owner tokens kept as cookies.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCENARIO_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Default session id pattern; the engine may pass its own via AppOptions.sessionIdPattern. */
export const SESSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$/;
/** Node (container) names: kind makes "<cluster>-control-plane", "<cluster>-worker2". */
export const NODE_NAME_RE = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export const COOKIE_PREFIX = 'kd_owner_';
export const TOKEN_HEADER = 'x-kubedrill-owner';

export function newOwnerToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Keeps a hash of each session's owner token; compares in constant time. */
export class OwnerTokens {
  private readonly hashes = new Map<string, Buffer>();

  issue(sessionId: string): string {
    const token = newOwnerToken();
    this.hashes.set(sessionId, digest(token));
    return token;
  }

  has(sessionId: string): boolean {
    return this.hashes.has(sessionId);
  }

  verify(sessionId: string, token: string | undefined): boolean {
    const want = this.hashes.get(sessionId);
    if (!want || !token || token.length > 200) return false;
    return timingSafeEqual(want, digest(token));
  }

  forget(sessionId: string): void {
    this.hashes.delete(sessionId);
  }

  sessionIds(): string[] {
    return [...this.hashes.keys()];
  }
}

export function cookieName(sessionId: string): string {
  return COOKIE_PREFIX + sessionId;
}

/** Parses a Cookie header into a map (first value wins, values URI-decoded when possible). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    let v = part.slice(i + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      v = decodeURIComponent(v);
    } catch {
      /* keep raw */
    }
    if (!out.has(k)) out.set(k, v);
  }
  return out;
}

export function ownerCookie(sessionId: string, token: string, secure: boolean): string {
  const attrs = [`${cookieName(sessionId)}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=604800'];
  if (secure) attrs.push('Secure');
  return attrs.join('; ');
}

export function clearOwnerCookie(sessionId: string): string {
  return `${cookieName(sessionId)}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** Lower-cased host[:port] without a trailing dot; null when malformed. */
export function normalizeHost(host: string | undefined): string | null {
  if (!host) return null;
  const h = host.trim().toLowerCase().replace(/\.(?=:\d+$|$)/, '');
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(h)) return null;
  return h;
}

function hostname(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(0, hostPort.indexOf(']') + 1);
  const i = hostPort.lastIndexOf(':');
  return i >= 0 ? hostPort.slice(0, i) : hostPort;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface HostPolicy {
  /** Extra host names (without port) the server may be reached by, e.g. a LAN name when bound to 0.0.0.0. */
  allowedHosts: string[];
  /** Extra full origins allowed to open WebSockets / send API writes, e.g. "http://localhost:5173" for vite dev. */
  allowedOrigins: string[];
}

/** Host header check against DNS rebinding: loopback names, allow-listed names, or any name when allowedHosts contains "*". */
export function hostAllowed(hostHeader: string | undefined, policy: HostPolicy): boolean {
  const h = normalizeHost(hostHeader);
  if (!h) return false;
  const name = hostname(h);
  if (LOOPBACK_NAMES.has(name) || /^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  return policy.allowedHosts.some((a) => a === '*' || a.toLowerCase() === name);
}

/** The Origin must be the server's own origin (same host:port as the Host header) or allow-listed. */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, policy: HostPolicy): boolean {
  if (!origin || origin === 'null') return false;
  const o = origin.toLowerCase().replace(/\/$/, '');
  if (policy.allowedOrigins.some((a) => a.toLowerCase().replace(/\/$/, '') === o)) return true;
  const h = normalizeHost(hostHeader);
  if (!h || !hostAllowed(h, policy)) return false;
  let u: URL;
  try {
    u = new URL(o);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  const originHostPort = `${u.hostname}${u.port && u.port !== defaultPort ? ':' + u.port : ''}`;
  const hostHostPort = h.replace(new RegExp(`:${defaultPort}$`), '');
  return originHostPort === hostHostPort;
}
