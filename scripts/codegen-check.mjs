// Fails when src/generated/graphql.ts is not what `npm run codegen` would write from schema/.
// Generates into a temporary file and compares, so it works on a dirty tree too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const committed = 'src/generated/graphql.ts';
const dir = mkdtempSync(join(tmpdir(), 'codegen-check-'));
const out = join(dir, 'graphql.ts');
try {
  const config = readFileSync('codegen.yml', 'utf8').replace(committed + ':', out + ':');
  const configPath = join(dir, 'codegen.yml');
  writeFileSync(configPath, config);
  execFileSync('npx', ['graphql-codegen', '--config', configPath, '--silent'], { stdio: 'inherit' });
  const fresh = readFileSync(out, 'utf8');
  const current = readFileSync(committed, 'utf8');
  if (fresh !== current) {
    console.error(`${committed} is stale: run \`npm run codegen\` and commit the result.`);
    process.exit(1);
  }
  console.log(`${committed} is up to date with schema/.`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
