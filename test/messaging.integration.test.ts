import { describe, expect, it } from 'vitest';
import { useStacks, type ItemResult, type Stack } from './helpers.js';

/** Messaging end to end: recipients batched ≤ 50 per request across callers, broadcasts, subscriptions. */

const startStack = useStacks();

interface RecipientResult extends ItemResult {
  dispatchId: string | null;
}

const TRIGGER = `mutation ($i: TriggerCampaignInput!) {
  triggerCampaign(input: $i) { dispatchId notice recipients { ok dispatchId error { code message } } }
}`;

async function apiCampaignId(s: Stack): Promise<string> {
  const res = await s.gql<{ campaigns: Array<{ id: string; isApiCampaign: boolean }> }>(
    '{ campaigns { id isApiCampaign } }',
  );
  return res.body.data!.campaigns.find((c) => c.isApiCampaign)!.id;
}

async function seed(s: Stack, n: number): Promise<void> {
  await s.gql('mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok } }', {
    u: Array.from({ length: n }, (_, i) => ({
      user: { externalId: `m-${i}` },
      attributes: { first_name: `M${i}` },
    })),
  });
}

describe('triggerCampaign', () => {
  it('batches recipients of concurrent callers, 50 to a request, and returns each its dispatch id', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1000', BATCH_IDLE_MS: '1000' } });
    const s = stack;
    await seed(s, 120);
    const campaignId = await apiCampaignId(s);
    // 12 callers × 10 recipients each, same campaign and shared properties: 120 → 3 requests.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, c) =>
        s.gql<{ triggerCampaign: { recipients: RecipientResult[] } }>(TRIGGER, {
          i: {
            campaignId,
            triggerProperties: { promo: 'spring' },
            recipients: Array.from({ length: 10 }, (_, r) => ({
              user: { externalId: `m-${c * 10 + r}` },
              properties: { caller: c },
            })),
          },
        }),
      ),
    );
    const results = answers.flatMap((a) => a.body.data!.triggerCampaign.recipients);
    expect(results).toHaveLength(120);
    expect(results.every((r) => r.ok && typeof r.dispatchId === 'string' && r.dispatchId.length > 0)).toBe(
      true,
    );
    const bodies = s.sim.requests
      .filter((r) => r.path === '/campaigns/trigger/send')
      .map((r) => r.body as { recipients: Array<Record<string, unknown>>; trigger_properties: unknown });
    expect(bodies.map((b) => b.recipients.length).sort((a, b) => a - b)).toEqual([20, 50, 50]);
    expect(bodies.every((b) => JSON.stringify(b.trigger_properties) === '{"promo":"spring"}')).toBe(true);
    expect(new Set(results.map((r) => r.dispatchId)).size).toBe(3);
  });

  it('never puts one user twice in a request, and keeps different shared payloads apart', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1000', BATCH_IDLE_MS: '1000' } });
    const s = stack;
    await seed(s, 2);
    const campaignId = await apiCampaignId(s);
    const call = (promo: string, who: string, caller: number) =>
      s.gql<{ triggerCampaign: { recipients: RecipientResult[] } }>(TRIGGER, {
        i: {
          campaignId,
          triggerProperties: { promo },
          recipients: [{ user: { externalId: who }, properties: { caller } }],
        },
      });
    const answers = await Promise.all([
      call('a', 'm-0', 1),
      call('a', 'm-0', 2),
      call('a', 'm-1', 3),
      call('b', 'm-1', 4),
    ]);
    expect(answers.every((a) => a.body.data!.triggerCampaign.recipients[0]!.ok)).toBe(true);
    const bodies = s.sim.requests
      .filter((r) => r.path === '/campaigns/trigger/send')
      .map((r) => r.body as { recipients: Array<{ external_user_id: string }> });
    expect(bodies).toHaveLength(3);
    for (const b of bodies) {
      const users = b.recipients.map((r) => r.external_user_id);
      expect(new Set(users).size).toBe(users.length);
    }
  });

  it('validates recipients per item and refuses an unknown campaign per recipient', async () => {
    const stack = await startStack();
    const res = await stack.gql<{ triggerCampaign: { recipients: RecipientResult[] } }>(TRIGGER, {
      i: {
        campaignId: 'no-such-campaign',
        recipients: [
          { user: { externalId: 'm-1' } },
          { user: { externalId: 'm-1' }, email: 'x@example.com' },
          { email: 'not-an-email' },
        ],
      },
    });
    const r = res.body.data!.triggerCampaign.recipients;
    expect(r[0]!.error!.code).toBe('BAD_USER_INPUT');
    expect(r[0]!.error!.message).toContain('Invalid Campaign ID');
    expect(r[1]!.error!.message).toContain('exactly one of user or email');
    expect(r[2]!.error!.message).toContain('not an email address');
  });

  it('regression: an unknown campaign for 50 recipients costs one request and one confirming request, not 99', async () => {
    const stack = await startStack();
    const res = await stack.gql<{ triggerCampaign: { recipients: RecipientResult[] } }>(TRIGGER, {
      i: {
        campaignId: 'no-such-campaign',
        recipients: Array.from({ length: 50 }, (_, i) => ({ user: { externalId: `m-${i}` } })),
      },
    });
    const r = res.body.data!.triggerCampaign.recipients;
    expect(r).toHaveLength(50);
    for (const item of r) {
      expect(item.ok).toBe(false);
      expect(item.error!.code).toBe('BAD_USER_INPUT');
      expect(item.error!.message).toContain('Invalid Campaign ID');
    }
    const sent = stack.sim.requests.filter((q) => q.path === '/campaigns/trigger/send');
    expect(sent.map((q) => (q.body as { recipients: unknown[] }).recipients.length)).toEqual([50, 1]);
  });

  it('sends a broadcast as one request in the broadcast group', async () => {
    const stack = await startStack();
    const campaignId = await apiCampaignId(stack);
    const res = await stack.gql<{ triggerCampaign: { dispatchId: string; recipients: unknown[] } }>(TRIGGER, {
      i: { campaignId, broadcast: true },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.triggerCampaign.dispatchId).toMatch(/^[0-9a-f]+$/);
    expect(stack.sim.requests.at(-1)).toMatchObject({
      path: '/campaigns/trigger/send',
      group: 'messaging.broadcast',
    });
  });
});

describe('named recipients narrowed by a segment or audience are not broadcasts (docs/braze-facts.md §2 row 6)', () => {
  const remaining = async (s: Stack): Promise<Record<string, number>> => {
    const res = await s.gql<{ rateBudget: Array<{ group: string; remaining: number }> }>(
      '{ rateBudget { group remaining } }',
    );
    return Object.fromEntries(res.body.data!.rateBudget.map((g) => [g.group, g.remaining]));
  };

  it('sends 600 segment-filtered named recipients as 12 requests of 50 in the default group', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '50' } });
    const segments = await stack.gql<{ segments: Array<{ id: string }> }>('{ segments { id } }');
    const segmentId = segments.body.data!.segments[0]!.id;
    const before = await remaining(stack);
    const ids = Array.from({ length: 600 }, (_, i) => `seg-${i}`);
    const res = await stack.gql<{ sendMessages: { recipients: ItemResult[] } }>(
      'mutation ($ids: [ID!]!, $seg: ID!) { sendMessages(input: { externalUserIds: $ids, segmentId: $seg, messages: { sms: { body: "hi" } } }) { recipients { ok error { code message } } } }',
      { ids, seg: segmentId },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sendMessages.recipients.filter((r) => !r.ok)).toEqual([]);
    const sent = stack.sim.requests.filter((q) => q.path === '/messages/send');
    const after = await remaining(stack);
    console.log(
      `600 named recipients with segment_id → ${sent.length} /messages/send requests of ${sent.map((q) => (q.body as { external_user_ids: unknown[] }).external_user_ids.length).join('/')}; simulator groups ${[...new Set(sent.map((q) => q.group))].join(',')}; gateway budget spent: default ${before.default! - after.default!}, messaging.broadcast ${before['messaging.broadcast']! - after['messaging.broadcast']!}`,
    );
    expect(sent).toHaveLength(12);
    for (const q of sent) {
      expect(q.status).toBe(201);
      expect(q.group).toBe('default');
      expect(q.body).toMatchObject({ segment_id: segmentId });
      expect((q.body as { external_user_ids: unknown[] }).external_user_ids).toHaveLength(50);
    }
    expect(before['messaging.broadcast']! - after['messaging.broadcast']!).toBe(0);
    expect(before.default! - after.default!).toBe(12);
  });

  it("passes a trigger's audience through with its recipients, outside the broadcast group", async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '20' } });
    await seed(stack, 3);
    const campaignId = await apiCampaignId(stack);
    const before = await remaining(stack);
    const audience = {
      AND: [{ custom_attribute: { custom_attribute_name: 'tier', comparison: 'equals', value: 'gold' } }],
    };
    const res = await stack.gql<{ triggerCampaign: { recipients: RecipientResult[] } }>(TRIGGER, {
      i: { campaignId, audience, recipients: [0, 1, 2].map((i) => ({ user: { externalId: `m-${i}` } })) },
    });
    expect(res.body.data!.triggerCampaign.recipients.map((r) => r.ok)).toEqual([true, true, true]);
    const sent = stack.sim.requests.filter((q) => q.path === '/campaigns/trigger/send');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toMatchObject({ audience, recipients: [{}, {}, {}] });
    expect(sent[0]!.group).not.toBe('messaging.broadcast');
    const after = await remaining(stack);
    expect(before['messaging.broadcast']! - after['messaging.broadcast']!).toBe(0);
  });
});

describe('triggerCanvas', () => {
  it('batches canvas recipients with their context, and reports a paused canvas', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '50' } });
    const s = stack;
    await seed(s, 60);
    const list = await s.gql<{ canvases: Array<{ id: string; name: string }> }>('{ canvases { id name } }');
    const canvasId = list.body.data!.canvases[0]!.id;
    const res = await s.gql<{ triggerCanvas: { recipients: RecipientResult[] } }>(
      `mutation ($i: TriggerCanvasInput!) { triggerCanvas(input: $i) { notice recipients { ok dispatchId error { message } } } }`,
      {
        i: {
          canvasId,
          context: { source: 'test' },
          recipients: Array.from({ length: 60 }, (_, i) => ({
            user: { externalId: `m-${i}` },
            properties: { n: i },
          })),
        },
      },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.triggerCanvas.recipients.every((r) => r.ok)).toBe(true);
    const bodies = s.sim.requests
      .filter((r) => r.path === '/canvas/trigger/send')
      .map((r) => r.body as { context: unknown; recipients: Array<{ context: { n: number } }> });
    expect(bodies.map((b) => b.recipients.length)).toEqual([50, 10]);
    expect(bodies[0]!.context).toEqual({ source: 'test' });
    expect(bodies[0]!.recipients[3]!.context).toEqual({ n: 3 });
  });
});

describe('sendMessages, createSendId, subscriptions', () => {
  it('sends to 120 named users in ceil(120/50) = 3 requests', async () => {
    const stack = await startStack();
    await seed(stack, 120);
    const res = await stack.gql<{ sendMessages: { recipients: RecipientResult[]; dispatchIds: string[] } }>(
      `mutation ($ids: [ID!]) { sendMessages(input: { externalUserIds: $ids, messages: { email: { app_id: "a", subject: "Hi", body: "Hello", from: "Us <us@example.com>" } } }) {
        dispatchIds recipients { ok dispatchId }
      } }`,
      { ids: Array.from({ length: 120 }, (_, i) => `m-${i}`) },
    );
    expect(res.body.errors).toBeUndefined();
    const { recipients, dispatchIds } = res.body.data!.sendMessages;
    expect(recipients).toHaveLength(120);
    expect(recipients.every((r) => r.ok)).toBe(true);
    expect(dispatchIds).toHaveLength(3);
    const bodies = stack.sim.requests
      .filter((r) => r.path === '/messages/send')
      .map((r) => r.body as { external_user_ids: string[] });
    expect(bodies.map((b) => b.external_user_ids.length)).toEqual([50, 50, 20]);
  });

  it('refuses an incoherent send with a clear message', async () => {
    const stack = await startStack();
    const res = await stack.gql(
      'mutation { sendMessages(input: { segmentId: "s", messages: { sms: { body: "x" } } }) { dispatchIds } }',
    );
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain('broadcast: true');
    expect(stack.sim.count('/messages/send')).toBe(0);
  });

  it('creates a send id', async () => {
    const stack = await startStack();
    const campaignId = await apiCampaignId(stack);
    const res = await stack.gql<{ createSendId: string }>(
      `mutation { createSendId(campaignId: "${campaignId}", sendId: "spring-1") }`,
    );
    expect(res.body.data!.createSendId).toBe('spring-1');
    expect(stack.sim.requests.at(-1)).toMatchObject({
      path: '/sends/id/create',
      group: 'sends.id.create',
      status: 201,
    });
  });

  it('sets subscription states in batches per group and id kind, and reads them back', async () => {
    const stack = await startStack();
    await seed(stack, 60);
    const groups = await stack.gql<{ userSubscriptions: unknown[] }>(
      '{ userSubscriptions(externalIds: ["m-0"]) { externalId groups { id } } }',
    );
    expect(groups.body.errors).toBeUndefined();
    const groupId = await subscriptionGroupId(stack);
    const res = await stack.gql<{ setSubscriptionStatus: ItemResult[] }>(
      `mutation ($ids: [ID!]) { setSubscriptionStatus(input: { subscriptionGroupId: "${groupId}", state: SUBSCRIBED, externalIds: $ids, emails: ["a@example.com"] }) { ok error { message } } }`,
      { ids: Array.from({ length: 60 }, (_, i) => `m-${i}`) },
    );
    expect(res.body.data!.setSubscriptionStatus).toHaveLength(61);
    expect(res.body.data!.setSubscriptionStatus.every((r) => r.ok)).toBe(true);
    const bodies = stack.sim.requests
      .filter((r) => r.path === '/subscription/status/set')
      .map((r) => r.body as Record<string, unknown>);
    expect(
      bodies
        .map((b) => (b.external_id as string[] | undefined)?.length ?? (b.email as string[]).length)
        .sort((a, b) => a - b),
    ).toEqual([1, 10, 50]);
    const after = await stack.gql<{
      userSubscriptions: Array<{ externalId: string; groups: Array<{ id: string; status: string }> }>;
    }>('{ userSubscriptions(externalIds: ["m-0", "m-59"]) { externalId groups { id status } } }');
    const byUser = after.body.data!.userSubscriptions;
    expect(byUser.map((u) => u.externalId).sort()).toEqual(['m-0', 'm-59']);
    for (const u of byUser) expect(u.groups.find((g) => g.id === groupId)?.status).toMatch(/subscribed/i);
  });
});

async function subscriptionGroupId(s: Stack): Promise<string> {
  // The simulator's seeded email group; the gateway has no list endpoint for groups.
  const groups = (
    s.sim as unknown as { catalog?: { subscriptionGroups?: Array<{ id: string; channel: string }> } }
  ).catalog?.subscriptionGroups;
  const email = groups?.find((g) => g.channel === 'email');
  if (email === undefined) throw new Error('the simulator has no seeded email subscription group');
  return email.id;
}
