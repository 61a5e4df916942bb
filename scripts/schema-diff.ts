/**
 * `npm run schema:diff` (in CI after schema:check): fails on a BREAKING change between the
 * committed subgraph SDL at a base and the SDL the code builds now, unless schema-changes.md
 * marks it as intended (format: scripts/schemaDiff.ts, README "Supergraph workflow").
 *
 * Base: `SCHEMA_BASE_REF` when set; otherwise the commit that changed supergraph/subgraph.graphql
 * before HEAD's version (or HEAD's version itself when the code builds something else, as while
 * editing the schema), following first parents so that on a merge commit the base is the
 * version before the merge, and every change the merge brings is checked. No such commit (the file's first version, a shallow clone): skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import { CriticalityLevel } from '@graphql-inspector/core';
import { buildSchema } from '../src/app/schema.js';
import { describeChange, schemaDiff } from './schemaDiff.js';

const FILE = 'supergraph/subgraph.graphql';
const CHANGES = 'schema-changes.md';

function git(...args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** The file at a commit, without the header schema:print adds; undefined when absent. */
function atRef(ref: string, file: string): string | undefined {
  return git('show', `${ref}:${file}`);
}

const built = printSubgraphSchema(buildSchema());

function baseRef(): string | undefined {
  const fromEnv = process.env.SCHEMA_BASE_REF?.trim();
  if (fromEnv) return fromEnv;
  const commits = (git('log', '--first-parent', '--format=%H', 'HEAD', '--', FILE) ?? '')
    .split('\n')
    .filter(Boolean);
  const headVersion = atRef('HEAD', FILE);
  const headIsBuilt = headVersion !== undefined && headVersion.trimEnd().endsWith(built.trimEnd());
  return headIsBuilt ? commits[1] : commits[0];
}

const base = baseRef();
const baseSdl = base === undefined ? undefined : atRef(base, FILE);
if (base === undefined || baseSdl === undefined) {
  console.log(
    base === undefined
      ? `schema:diff skipped: no earlier commit of ${FILE} to compare with (set SCHEMA_BASE_REF to choose one).`
      : `schema:diff skipped: ${FILE} does not exist at ${base}.`,
  );
  process.exit(0);
}

const changesMd = existsSync(CHANGES) ? readFileSync(CHANGES, 'utf8') : '';
const result = await schemaDiff(baseSdl, built, changesMd, atRef(base, CHANGES) ?? '');
const short = git('rev-parse', '--short', base)?.trim() ?? base;
console.log(
  `schema:diff: ${FILE} at ${short} → the schema the code builds: ${result.changes.length} change(s)`,
);
const nonBreaking = result.changes.filter((c) => c.criticality.level === CriticalityLevel.NonBreaking);
if (nonBreaking.length > 0)
  console.log(`  ${nonBreaking.length} non-breaking (added types, fields, descriptions…)`);
for (const change of result.changes.filter((c) => !nonBreaking.includes(c))) {
  const mark = result.intended.includes(change) ? '  (intended: schema-changes.md)' : '';
  console.log(`  ${describeChange(change)}${mark}`);
}
if (!result.ok) {
  console.error(
    `\n${result.unintended.length} breaking change(s) not marked as intended. Keep the old ` +
      `fields (deprecate them), or, if the break is meant, add to ${CHANGES} one entry per path:\n` +
      result.unintended.map((c) => `  - \`${c.path ?? c.type}\` why, and what clients do instead`).join('\n'),
  );
  process.exit(1);
}
console.log('schema:diff: no unintended breaking change.');
