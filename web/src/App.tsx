import { useEffect, useState } from 'react';
import { ScenarioList } from './ScenarioList.js';
import { SessionPage } from './SessionPage.js';

type Route = { page: 'list' } | { page: 'session'; id: string };

function parseHash(): Route {
  const m = /^#\/session\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  return m ? { page: 'session', id: m[1]! } : { page: 'list' };
}

export function App() {
  const [route, setRoute] = useState<Route>(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route.page === 'session' ? <SessionPage key={route.id} id={route.id} /> : <ScenarioList />;
}
