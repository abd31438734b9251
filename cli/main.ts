/**
 * The kubedrill command line: a small dispatcher. Each subcommand lives in
 * its own module; this file only parses arguments and sets exit codes.
 */
import { Command } from 'commander';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateCommand, type ValidateCliOptions } from './args.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function main(argv = process.argv): Promise<void> {
  const program = new Command().name('kubedrill').description('CKA exam-practice simulator on real kind clusters');

  program
    .command('lint')
    .description('check every scenario file of a pack (schema, ids, node aliases); exit 1 on any error')
    .argument('<pack>', 'pack folder')
    .action(async (dir: string) => {
      const { lintPack } = await import('./lint.js');
      const result = await lintPack(path.resolve(dir));
      process.stdout.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
      process.exitCode = result.exitCode;
    });

  validateCommand(program)
    .action(async (dir: string, o: ValidateCliOptions) => {
      const { validatePack } = await import('./validate.js');
      const { runs, loadErrors } = await validatePack(path.resolve(dir), {
        scenarios: o.scenario,
        runs: o.runs,
        concurrency: o.concurrency,
        junit: o.junit,
        keepFailed: o.keepFailed,
        nodeImage: o.image,
        retries: o.retries,
        alternatives: o.alternatives,
      });
      process.exitCode = runs.every((r) => r.ok) && loadErrors.length === 0 && runs.length > 0 ? 0 : 1;
    });

  const image = program.command('image').description('node images');
  image
    .command('build')
    .description('build the offline kind node image from source (Go modules + Debian), cached')
    .option('--from-source', 'build everything from source (the only mode; kept for clarity)')
    .action(async () => {
      const r = await execa('bash', [path.join(repoRoot, 'clusters/image/build.sh')], { stdio: 'inherit', reject: false });
      process.exitCode = r.exitCode ?? 1;
    });

  program
    .command('host-setup')
    .description('make this machine able to run kind clusters (Docker, privileged containers, inotify)')
    .action(async () => {
      const r = await execa('bash', [path.join(repoRoot, 'clusters/host/setup.sh')], { stdio: 'inherit', reject: false });
      process.exitCode = r.exitCode ?? 1;
    });

  program
    .command('clusters')
    .description('list Kubedrill clusters; --clean deletes those whose owner process is gone')
    .option('--clean', 'delete orphaned clusters')
    .action(async (o: { clean?: boolean }) => {
      const { KindDockerDriver } = await import('../clusters/kind-docker.js');
      const { ClusterRegistry } = await import('../server/engine/registry.js');
      const driver = new KindDockerDriver();
      const registry = new ClusterRegistry(driver, (l) => process.stdout.write(`${l}\n`));
      if (o.clean) await registry.deleteOrphans();
      for (const c of await driver.list()) process.stdout.write(`${c}\towner pid ${registry.owner(c) ?? '-'}\n`);
    });

  await program.parseAsync(argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`kubedrill: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
