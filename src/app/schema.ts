import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { resolvers } from '../../resolvers/index.js';

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

/** The executable Federation 2 subgraph schema. */
export function buildSchema(): GraphQLSchema {
  // The generated Resolvers type is stricter than the subgraph library's resolver map.
  type SubgraphModule = Parameters<typeof buildSubgraphSchema>[0];
  return buildSubgraphSchema({ typeDefs: loadTypeDefs(), resolvers } as unknown as SubgraphModule);
}
