import { Trace } from '@apollo/usage-reporting-protobuf';
import { describe, expect, it } from 'vitest';
import { useStacks } from './helpers.js';

/**
 * Inline traces (ftv1) for GraphOS, as a router asks for them: errors keep their code and lose
 * their message (it may carry a caller's input).
 */

const startStack = useStacks();

/** Every error recorded in a trace's node tree, as the JSON GraphOS receives. */
function traceErrors(node: Trace.INode | null | undefined): Array<Record<string, unknown>> {
  if (node == null) return [];
  return [
    ...(node.error ?? []).map((e) => JSON.parse(e.json ?? '{}') as Record<string, unknown>),
    ...(node.child ?? []).flatMap((c) => traceErrors(c)),
  ];
}

describe('federated inline traces', () => {
  it('keep the error code and mask the message', async () => {
    const stack = await startStack();
    const res = await fetch(stack.gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-federation-include-trace': 'ftv1' },
      body: JSON.stringify({
        query: '{ users(externalIds: ["a@example.com"], refs: [{ externalId: "b" }]) { externalId } }',
      }),
    });
    const body = (await res.json()) as {
      errors: Array<{ message: string; extensions: { code: string } }>;
      extensions: { ftv1: string };
    };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    const trace = Trace.decode(Buffer.from(body.extensions.ftv1, 'base64'));
    const errors = traceErrors(trace.root);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: '<masked>', extensions: { code: 'BAD_USER_INPUT' } });
    expect(JSON.stringify(errors)).not.toContain('a@example.com');
  });
});
