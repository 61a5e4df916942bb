import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { RATE_GROUP_NAMES, rateLimitEnvName } from '../src/budget/groups.js';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import { ERROR_CODES } from '../src/errors.js';
import { ENV_VARS, renderEnvTable } from '../src/envVars.js';
import { parseWholeNumber } from '../src/parseEnv.js';
import { loadConfig } from '../src/config.js';
import { limitsFromEnv } from '../src/security/limits.js';

/** The configuration table is the one statement of the environment: README, --help and code agree. */

/** A Markdown table's cells, whatever column padding prettier gave it. */
function cells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'generated' || name === 'simulator' ? [] : sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('configuration table', () => {
  it("the README's configuration table is the one rendered from src/envVars.ts (npm run docs:env)", () => {
    const readme = readFileSync('README.md', 'utf8');
    const start = readme.indexOf('<!-- env-table:start');
    const end = readme.indexOf('<!-- env-table:end -->');
    expect(start).toBeGreaterThan(0);
    expect(cells(readme.slice(start, end))).toEqual(cells(renderEnvTable()));
  });

  it('lists every variable the code reads, and nothing it does not', () => {
    const read = new Set<string>();
    for (const file of sourceFiles('src')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(?:int|str|onOff|fraction)\('([A-Z][A-Z0-9_]+)'/g)) read.add(m[1]!);
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!);
      for (const m of text.matchAll(/'((?:GRAPHQL|RATE_LIMIT)_[A-Z0-9_]+)'/g)) read.add(m[1]!);
    }
    const listed = new Set(ENV_VARS.map((v) => v.name));
    expect([...read].filter((n) => !listed.has(n)).sort()).toEqual([]);
    const rowsNotRead = [...listed].filter((n) => !read.has(n) && n !== 'RATE_LIMIT_<GROUP>');
    expect(rowsNotRead.sort()).toEqual([]);
  });

  it('names in the prose of README.md and docs/ are variables the table lists', () => {
    const listed = new Set(ENV_VARS.map((v) => v.name));
    const groups = RATE_GROUP_NAMES.map((g) => g.toUpperCase().replace(/\./g, '_'));
    for (const g of RATE_GROUP_NAMES) listed.add(rateLimitEnvName(g));
    // Upper-case words that are not variables: error codes (ours and Apollo's, such as
    // PERSISTED_QUERY_NOT_FOUND), rate group names.
    // Enum values of the schema (UserPrioritization's LEAST_RECENTLY_UPDATED…) are not variables either.
    const enumValues = readdirSync('schema').flatMap((f) =>
      [...readFileSync(join('schema', f), 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]+)\s*$/gm)].map((m) => m[1]!),
    );
    const notVariables = new Set<string>([
      ...ERROR_CODES,
      ...Object.values(ApolloServerErrorCode),
      ...groups,
      ...enumValues,
    ]);
    // The benchmark's own variables, read in bench/run.ts, and the soak's, in bench/soak.ts.
    const benchSource = readFileSync('bench/run.ts', 'utf8');
    const soakSource = readFileSync('bench/soak.ts', 'utf8');
    // The npm scripts' own variables (SCHEMA_BASE_REF for schema:diff), read in scripts/*.ts.
    const scriptsSource = readdirSync('scripts')
      .map((f) => readFileSync(join('scripts', f), 'utf8'))
      .join('\n');
    const files = [
      'README.md',
      ...readdirSync('docs').flatMap((f) => (f.endsWith('.md') ? [join('docs', f)] : [])),
    ];
    const unknown: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)) {
        const name = m[1]!;
        const benchVariable =
          name.startsWith('BENCH_') &&
          (benchSource.includes(`'${name}'`) || benchSource.includes(`env.${name}`));
        const soakVariable =
          name.startsWith('SOAK_') &&
          (soakSource.includes(`'${name}'`) || soakSource.includes(`env.${name}`));
        const scriptVariable = scriptsSource.includes(`process.env.${name}`);
        if (
          !listed.has(name) &&
          !notVariables.has(name) &&
          !benchVariable &&
          !soakVariable &&
          !scriptVariable
        ) {
          unknown.push(`${file}: ${name}`);
        }
      }
    }
    expect([...new Set(unknown)].sort()).toEqual([]);
  });

  it('parses numbers one way everywhere: `_` separators accepted, anything else refused', () => {
    expect(parseWholeNumber('100_000')).toBe(100_000);
    expect(parseWholeNumber(' 20 ')).toBe(20);
    for (const bad of ['1e3', '1.5', '', '0x10', '1__0', '_1', 'ten'])
      expect(parseWholeNumber(bad)).toBeUndefined();
    // The same value is accepted by the config and by the request limits alike.
    expect(loadConfig({ BATCH_WINDOW_MS: '1_000' }).batchWindowMs).toBe(1_000);
    expect(limitsFromEnv({ GRAPHQL_MAX_COST: '1_000' }).limits.maxCost).toBe(1_000);
    expect(() => loadConfig({ BATCH_WINDOW_MS: '1e3' })).toThrow(/BATCH_WINDOW_MS="1e3" is not valid/);
    expect(limitsFromEnv({ GRAPHQL_MAX_COST: '1e3' }).problems[0]).toMatch(
      /GRAPHQL_MAX_COST="1e3" is not valid/,
    );
  });

  it('prints the table with --help and exits 0, without starting anything', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', '--help'],
      {
        timeout: 30_000,
      },
    );
    for (const v of ENV_VARS) expect(stdout).toContain(v.name);
    expect(stdout).not.toContain('listening');
  });
});
