/** Top navigation between scenarios (training), mock exams and progress. */
export function NavLinks({ current }: { current: 'scenarios' | 'exams' | 'progress' }) {
  const links: Array<[typeof current, string, string]> = [
    ['scenarios', '#/', 'Training'],
    ['exams', '#/exams', 'Mock exams'],
    ['progress', '#/progress', 'Progress'],
  ];
  return (
    <nav className="nav-links" aria-label="Main">
      {links.map(([k, href, label]) => (
        <a key={k} href={href} aria-current={current === k ? 'page' : undefined} className={current === k ? 'on' : ''}>
          {label}
        </a>
      ))}
    </nav>
  );
}
