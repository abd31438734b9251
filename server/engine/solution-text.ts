import { dump } from 'js-yaml';
import type { Step } from '../scenarios/types.js';
import { describeStep } from '../steps/index.js';

/**
 * The reference solution as markdown a learner can follow: each step's
 * name, the node it runs on, and its script or object in a code block.
 */
export function solutionMarkdown(steps: Step[]): string {
  return steps
    .map((step, i) => {
      const title = `**${i + 1}. ${step.name ?? describeStep(step)}**`;
      if ('run' in step) return `${title} — on \`${step.run.node}\`\n\n\`\`\`bash\n${step.run.script.trimEnd()}\n\`\`\``;
      if ('apply' in step) return `${title}\n\n\`\`\`yaml\n${step.apply.manifest.trimEnd()}\n\`\`\``;
      if ('wait' in step) return `${title} — wait until it holds (up to ${step.wait.timeoutSeconds ?? 120}s)`;
      const { name: _name, ...rest } = step as Step & { name?: string };
      return `${title}\n\n\`\`\`yaml\n${dump(rest, { lineWidth: 100 }).trimEnd()}\n\`\`\``;
    })
    .join('\n\n');
}
