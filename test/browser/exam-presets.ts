import type { ExamFlowOptions } from './exam-flow.js';

/** The sample exam on real clusters: fix tasks 1 and 2, leave task 3 → (4 + 4 + 0) / 10 = 80 %, a pass. */
export const PRESETS: Record<string, Partial<ExamFlowOptions>> = {
  'sample-real': {
    examId: 'sample-3-tasks',
    commands: {
      0: [
        { run: 'systemctl enable --now kubelet && echo kubelet-$(systemctl is-active kubelet)', node: 'worker', expect: 'kubelet-active', timeoutMs: 60_000 },
        { run: 'kubectl wait --for=condition=Ready node/{{node:worker}} --timeout=180s', node: 'control-plane', expect: 'condition met', timeoutMs: 200_000 },
      ],
      1: [
        {
          run: `kubectl -n store patch service checkout --type=json -p '[{"op":"replace","path":"/spec/selector/app","value":"checkout"},{"op":"replace","path":"/spec/ports/0/targetPort","value":80}]'`,
          node: 'control-plane',
          expect: 'patched',
        },
        {
          // The marker is computed ($((40+2))) so the echoed command line itself does not match.
          run: `for i in $(seq 45); do kubectl -n store get endpointslices -l kubernetes.io/service-name=checkout -o jsonpath='{..conditions.ready}' | grep -q true && break; sleep 2; done; echo endpoints-$((40+2))`,
          node: 'control-plane',
          expect: /^endpoints-42$/m,
          timeoutMs: 120_000,
        },
      ],
    },
    flag: [2],
    note: 'task 3: left for later on purpose',
    expectTaskPercent: { 0: 100, 1: 100, 2: 0 },
    expectTotal: 80,
  },
};
