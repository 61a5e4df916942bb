import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { resolvers } from '../../resolvers/index.js';
import { applyRouterDirectives, type RouterDirectiveOptions } from './routerDirectives.js';

/** schema/ sits at the project root: three levels up from dist/src/app/, two from src/app/. */
function schemaDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', '..', 'schema'), join(here, '..', '..', '..', 'schema')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`schema/ directory not found near ${here}`);
}

/** The SDL files, in name order: the public contract. */
export function loadTypeDefs(): DocumentNode {
  const dir = schemaDir();
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort();
  return parse(files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n'));
}

/**
 * The subgraph's typeDefs: the SDL files with the directives a router enforces (`@requiresScopes`,
 * `@cost`, `@listSize`) applied from the gateway's permission and cost tables.
 */
export function subgraphTypeDefs(options: RouterDirectiveOptions = {}): DocumentNode {
  return applyRouterDirectives(loadTypeDefs(), options);
}

/**
 * The executable Federation 2 subgraph schema; what `_service { sdl }` and `npm run schema:print`
 * show a router. `options` only for tools that need another SDL (see RouterDirectiveOptions).
 */
export function buildSchema(options: RouterDirectiveOptions = {}): GraphQLSchema {
  // The generated Resolvers type is stricter than the subgraph library's resolver map.
  type SubgraphModule = Parameters<typeof buildSubgraphSchema>[0];
  return buildSubgraphSchema({ typeDefs: subgraphTypeDefs(options), resolvers } as unknown as SubgraphModule);
}
