import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSchemaChanges, schemaDiff } from '../scripts/schemaDiff.js';

/** The breaking-change check behind `npm run schema:diff`, on two small SDLs. */

const BASE = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type User @key(fields: "id") {
    id: ID!
    name: String
  }
  type Query {
    user(id: ID!): User
    users(ids: [ID!]!): [User]!
  }
`;
const REMOVED = BASE.replace('    users(ids: [ID!]!): [User]!\n', '');
const ADDED = BASE.replace('    name: String\n', '    name: String\n    email(masked: Boolean): String\n');

describe('schemaDiff', () => {
  it('fails on a removed field', async () => {
    const result = await schemaDiff(BASE, REMOVED);
    expect(result.ok).toBe(false);
    expect(result.unintended.map((c) => c.path)).toEqual(['Query.users']);
    expect(result.intended).toEqual([]);
  });

  it('passes the same removal when schema-changes.md names it', async () => {
    const md = '# Intended\n\n- `Query.users` removed: use `Query.user` per id.\n';
    const result = await schemaDiff(BASE, REMOVED, md);
    expect(result.ok).toBe(true);
    expect(result.intended.map((c) => c.path)).toEqual(['Query.users']);
  });

  it('does not count an entry the base already had, nor one inside a code fence', async () => {
    const md = '- `Query.users` removed long ago.\n';
    expect((await schemaDiff(BASE, REMOVED, md, md)).ok).toBe(false);
    const fenced = 'Example:\n\n```markdown\n- `Query.users` removed.\n```\n';
    expect((await schemaDiff(BASE, REMOVED, fenced)).ok).toBe(false);
  });

  it('passes an added optional field (and its optional argument)', async () => {
    const result = await schemaDiff(BASE, ADDED);
    expect(result.ok).toBe(true);
    expect(result.changes.map((c) => c.path)).toContain('User.email');
  });

  it('fails on a new required argument and on a narrowed argument type', async () => {
    const required = BASE.replace('user(id: ID!)', 'user(id: ID!, region: String!)');
    expect((await schemaDiff(BASE, required)).unintended.map((c) => c.path)).toEqual(['Query.user.region']);
    const narrowed = BASE.replace('users(ids: [ID!]!)', 'users(ids: [Int!]!)');
    expect((await schemaDiff(BASE, narrowed)).unintended.map((c) => c.path)).toEqual(['Query.users.ids']);
  });

  it("reads the repository's schema-changes.md (its example entry is not an entry)", () => {
    const names = parseSchemaChanges(readFileSync('schema-changes.md', 'utf8'));
    expect(names.has('Query.users')).toBe(false);
  });

  it('npm run schema:diff against HEAD: the committed SDL is what the code builds, so it passes', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/schema-diff.ts'], {
      encoding: 'utf8',
      env: { ...process.env, SCHEMA_BASE_REF: 'HEAD' },
    });
    expect(out).toMatch(
      /→ the schema the code builds: 0 change\(s\)\nschema:diff: no unintended breaking change\./,
    );
  });
});
