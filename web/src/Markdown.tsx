import { useMemo } from 'react';
import { marked } from 'marked';
import DOMPurify from 'dompurify';

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function renderMarkdown(md: string): string {
  const html = marked.parse(md, { async: false, gfm: true, breaks: false }) as string;
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'input', 'iframe'] });
}

/** Sanitized markdown. Clicking inline code or a code block copies it, like the exam UI. */
export function Markdown({ source, className }: { source: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  return (
    <div
      className={`md ${className ?? ''}`}
      dangerouslySetInnerHTML={{ __html: html }}
      onClick={(e) => {
        const code = (e.target as HTMLElement).closest('code');
        if (!code || (e.target as HTMLElement).closest('a')) return;
        const text = code.textContent ?? '';
        void navigator.clipboard?.writeText(text.replace(/\n$/, '')).then(
          () => {
            code.classList.add('copied');
            window.setTimeout(() => code.classList.remove('copied'), 900);
          },
          () => {},
        );
      }}
      title=""
    />
  );
}
