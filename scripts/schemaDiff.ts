/**
 * The breaking-change check behind `npm run schema:diff`: `@graphql-inspector/core`'s `diff`
 * between two SDLs, and which BREAKING changes `schema-changes.md` marks as intended.
 *
 * schema-changes.md format: a list item whose first inline-code span is a change's path (as
 * graphql-inspector names it: `Type`, `Type.field`, `Type.field.argument`, `EnumType.VALUE`,
 * `@directive`) marks every breaking change at that path as intended, e.g.
 *
 *     - `Query.users` removed: use `Query.usersByIds`.
 *
 * A change without a path is named by its type instead (`SCHEMA_QUERY_TYPE_CHANGED`). Only
 * entries added since the base count (the script passes the base's file as `baseChangesMd`), so
 * an old entry never waves through a new break at the same path.
 */
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import { buildASTSchema, type GraphQLSchema, parse } from 'graphql';

export interface SchemaDiffResult {
  /** Every change, in graphql-inspector's order. */
  changes: Change[];
  /** BREAKING changes that schema-changes.md marks as intended. */
  intended: Change[];
  /** BREAKING changes that are not marked: the check fails when there is any. */
  unintended: Change[];
  ok: boolean;
}

/** The name a schema-changes.md entry uses for a change. */
export function changeKey(change: Change): string {
  return change.path ?? String(change.type);
}

/**
 * The change names schema-changes.md lists: the first `code` span of each list item (list items
 * inside fenced code blocks, such as the file's own example, do not count).
 */
export function parseSchemaChanges(markdown: string): Set<string> {
  const names = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const item = /^\s*[-*]\s+`([^`]+)`/.exec(line);
    if (item?.[1]) names.add(item[1].trim());
  }
  return names;
}

/**
 * A schema from SDL as `printSubgraphSchema` writes it: the federation directives (`@link`,
 * `@key`, `@shareable`) are not defined in it, so the SDL is taken as valid as printed.
 */
export function schemaFromSdl(sdl: string): GraphQLSchema {
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}

/**
 * Compares `baseSdl` with `headSdl`. A BREAKING change passes when `changesMd` (schema-changes.md
 * now) names its path and `baseChangesMd` (the file at the base) does not.
 */
export async function schemaDiff(
  baseSdl: string,
  headSdl: string,
  changesMd = '',
  baseChangesMd = '',
): Promise<SchemaDiffResult> {
  const changes = await diff(schemaFromSdl(baseSdl), schemaFromSdl(headSdl));
  const already = parseSchemaChanges(baseChangesMd);
  const marked = new Set([...parseSchemaChanges(changesMd)].filter((name) => !already.has(name)));
  const breaking = changes.filter((c) => c.criticality.level === CriticalityLevel.Breaking);
  const intended = breaking.filter((c) => marked.has(changeKey(c)));
  const unintended = breaking.filter((c) => !marked.has(changeKey(c)));
  return { changes, intended, unintended, ok: unintended.length === 0 };
}

/** One line per change, for the script's output. */
export function describeChange(change: Change): string {
  return `${change.criticality.level.padEnd(13)} ${changeKey(change)}: ${change.message}`;
}
