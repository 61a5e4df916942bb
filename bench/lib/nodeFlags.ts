/**
 * The node flags the production image runs the gateway with, read from the Dockerfile's `CMD`
 * (`["node", <flags…>, "dist/src/main.js"]`), so the benchmark measures the gateway the way it
 * is deployed and cannot drift from it.
 */
import { readFileSync } from 'node:fs';

export function productionNodeFlags(dockerfile = readFileSync('Dockerfile', 'utf8')): string[] {
  const line = dockerfile.split('\n').find((l) => /^CMD\s*\[/.test(l));
  if (line === undefined) throw new Error('Dockerfile: no CMD ["node", …] line');
  const argv = JSON.parse(line.replace(/^CMD\s*/, '')) as unknown;
  if (!Array.isArray(argv) || argv[0] !== 'node' || !argv.every((a) => typeof a === 'string'))
    throw new Error(`Dockerfile: CMD is not ["node", …]: ${line}`);
  return (argv as string[]).slice(1, -1);
}
