import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/** supergraph/supergraph.yaml (Rover's config) and the committed subgraph SDL it names. */

const CONFIG = 'supergraph/supergraph.yaml';

interface SupergraphConfig {
  federation_version: string;
  subgraphs: Record<string, { routing_url: string; schema: { file?: string } }>;
}

const config = parseYaml(readFileSync(CONFIG, 'utf8')) as SupergraphConfig;
const braze = config.subgraphs.braze!;
// Rover reads schema files relative to the config file.
const schemaFile = resolve(dirname(CONFIG), braze.schema.file ?? '');

describe('supergraph.yaml', () => {
  it('names the braze subgraph, its local URL and an existing schema file', () => {
    expect(Object.keys(config.subgraphs)).toEqual(['braze']);
    expect(braze.routing_url).toBe('http://localhost:4000/graphql');
    expect(braze.schema.file).toBeDefined();
    expect(existsSync(schemaFile)).toBe(true);
    expect(schemaFile).toBe(resolve('supergraph/subgraph.graphql'));
  });

  it("pins a Federation 2 composition version matching the SDL's @link", () => {
    const pinned = /^=2\.(\d+)\.\d+$/.exec(config.federation_version);
    expect(pinned, `federation_version ${config.federation_version}`).not.toBeNull();
    const link = /specs\.apollo\.dev\/federation\/v2\.(\d+)/.exec(readFileSync(schemaFile, 'utf8'));
    expect(link).not.toBeNull();
    expect(pinned![1]).toBe(link![1]);
  });

  it('composes supergraph/subgraph.graphql with @apollo/composition', () => {
    const composed = composeServices([
      { name: 'braze', typeDefs: parse(readFileSync(schemaFile, 'utf8')), url: braze.routing_url },
    ]);
    expect(composed.errors?.map((e) => e.message)).toBeUndefined();
    expect(composed.supergraphSdl).toMatch(
      /@join__graph\(name: "braze", url: "http:\/\/localhost:4000\/graphql"\)/,
    );
    expect(composed.supergraphSdl).toMatch(
      /type BrazeUser\s[^{]*@join__type\(graph: BRAZE, key: "externalId"\)/,
    );
  });

  it("keeps the router's rules in the supergraph: @requiresScopes, @cost, @listSize", () => {
    const composed = composeServices([
      { name: 'braze', typeDefs: parse(readFileSync(schemaFile, 'utf8')), url: braze.routing_url },
    ]);
    const sdl = composed.supergraphSdl!;
    // The specs a router reads them by; requiresScopes is for SECURITY: a router that cannot
    // enforce it must refuse the supergraph.
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)');
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/cost\/v0\.1"/);
    const line = (field: string) => sdl.split('\n').find((l) => l.trimStart().startsWith(field)) ?? '';
    expect(line('trackEvents(')).toContain('@requiresScopes(scopes: [["users.track"]])');
    expect(line('trackEvents(')).toContain('@listSize(assumedSize: 10)');
    expect(line('firstName:')).toContain('@requiresScopes(scopes: [["users.export.ids"]])');
    expect(line('firstName:')).toContain('@cost(weight: 1)');
    expect(line('details: CampaignDetails')).toContain('@requiresScopes(scopes: [["campaigns.details"]])');
    expect(sdl).toMatch(
      /\): CampaignConnection! .*@listSize\(slicingArguments: \["first"\], sizedFields: \["edges", "nodes"\], requireOneSlicingArgument: false\)/,
    );
  });
});
