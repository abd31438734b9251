/** Scripts that read and write files on a node; content travels as base64 inside the script on stdin. */
import path from 'node:path/posix';
import { shellQuote } from './placeholders.js';

/**
 * Writes `content` to `filePath` atomically: a hidden temp file in the same
 * folder (kubelet ignores dot files in the static pod folder), then rename.
 * `mode` (octal string) is applied; otherwise an existing file keeps its
 * mode and owner.
 */
export function writeFileScript(filePath: string, content: string, mode?: string): string {
  const dir = path.dirname(filePath);
  const tmp = path.join(dir, `.kubedrill-${path.basename(filePath)}.tmp`);
  const b64 = Buffer.from(content, 'utf8').toString('base64');
  const lines = [
    'set -e',
    `f=${shellQuote(filePath)}`,
    `t=${shellQuote(tmp)}`,
    `mkdir -p ${shellQuote(dir)}`,
    `base64 -d > "$t" <<'KUBEDRILL_B64'`,
    ...(b64.match(/.{1,76}/g) ?? []),
    'KUBEDRILL_B64',
    'if [ -e "$f" ]; then chmod --reference="$f" "$t"; chown --reference="$f" "$t"; fi',
  ];
  if (mode) lines.push(`chmod ${shellQuote(mode)} "$t"`);
  lines.push('mv -f "$t" "$f"');
  return lines.join('\n') + '\n';
}

export function readFileScript(filePath: string): string {
  return `cat -- ${shellQuote(filePath)}\n`;
}

/** Copies a file to a backup path unless a backup already exists (the first copy is the pristine one). */
export function backupScript(filePath: string, backupPath: string): string {
  return [
    'set -e',
    `b=${shellQuote(backupPath)}`,
    `mkdir -p ${shellQuote(path.dirname(backupPath))}`,
    `if [ ! -e "$b" ]; then cp -p -- ${shellQuote(filePath)} "$b"; fi`,
  ].join('\n') + '\n';
}
