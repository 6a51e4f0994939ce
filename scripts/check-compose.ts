// Validates docker-compose.yml and the deploy/ configs without Docker (modules in scripts/compose-check/):
//   npx tsx scripts/check-compose.ts [path/to/docker-compose.yml]
// Prints one line per problem and exits 1 if there is any; needs promtool (apt-get install prometheus).
import path from 'node:path';
import { checkAll, formatProblem } from './compose-check';

function main(argv: string[]): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log('Usage: npx tsx scripts/check-compose.ts [docker-compose.yml]');
    return 0;
  }
  const composeFile = path.resolve(
    argv.find((a) => !a.startsWith('-')) ?? path.join(__dirname, '..', 'docker-compose.yml'),
  );
  const { problems, summary } = checkAll(composeFile);
  if (problems.length === 0) {
    console.log(`check-compose: OK (${summary.join('; ')})`);
    return 0;
  }
  for (const p of problems) console.error(formatProblem(p));
  for (const p of problems.filter((x) => x.detail)) console.error(`\n--- ${formatProblem(p)}\n${p.detail}`);
  console.error(`\ncheck-compose: ${problems.length} problem(s)`);
  return 1;
}

process.exit(main(process.argv.slice(2)));
