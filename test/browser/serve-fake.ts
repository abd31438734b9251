/**
 * UI development server with the fake engine: `npm run dev:web`.
 * Serves web/dist (rebuilt when stale) on http://127.0.0.1:4281/; for hot
 * reload run `npx vite --config web/vite.config.ts` too, which proxies /api
 * and /ws here.
 */
import { ensureWebBuilt, startFakeServer } from './fake-server.js';

const port = Number(process.env.KUBEDRILL_PORT ?? 4281);
await ensureWebBuilt((l) => console.log(l));
const s = await startFakeServer({ port, engine: { stepMs: Number(process.env.KD_FAKE_STEP_MS ?? 400) }, log: (l) => console.log(`[fake] ${l}`) });
console.log(`Kubedrill (fake engine) is running at ${s.url}`);
const stop = () => void s.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
