/**
 * UI work on mock exams and progress with the fake cluster layer:
 *   npx tsx test/browser/serve-fake-exams.ts     (http://127.0.0.1:4282/#/exams)
 */
import { ensureWebBuilt } from './fake-server.js';
import { startFakeExamServer } from './fake-exam-server.js';

const port = Number(process.env.KUBEDRILL_PORT ?? 4282);
await ensureWebBuilt((l) => console.log(l));
const s = await startFakeExamServer({ port, stepMs: Number(process.env.KD_FAKE_STEP_MS ?? 400), log: (l) => console.log(`[fake] ${l}`) });
console.log(`Kubedrill (fake exam clusters) is running at ${s.url}#/exams`);
const stop = () => void s.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
