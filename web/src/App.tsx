import { useEffect, useState } from 'react';
import { ScenarioList } from './ScenarioList.js';
import { SessionPage } from './SessionPage.js';
import { ExamList } from './ExamList.js';
import { ExamPage } from './ExamPage.js';
import { ProgressPage } from './ProgressPage.js';

type Route = { page: 'list' } | { page: 'session'; id: string } | { page: 'exams' } | { page: 'exam'; id: string } | { page: 'progress' };

function parseHash(): Route {
  const m = /^#\/session\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  if (m) return { page: 'session', id: m[1]! };
  const e = /^#\/exam\/([a-f0-9]{12})$/.exec(location.hash);
  if (e) return { page: 'exam', id: e[1]! };
  if (location.hash === '#/exams') return { page: 'exams' };
  if (location.hash === '#/progress') return { page: 'progress' };
  return { page: 'list' };
}

export function App() {
  const [route, setRoute] = useState<Route>(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  if (route.page === 'session') return <SessionPage key={route.id} id={route.id} />;
  if (route.page === 'exam') return <ExamPage key={route.id} id={route.id} />;
  if (route.page === 'exams') return <ExamList />;
  if (route.page === 'progress') return <ProgressPage />;
  return <ScenarioList />;
}
