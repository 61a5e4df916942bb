/**
 * The GraphQL requests the benchmark sends. Every server under test gets byte-identical bodies
 * (variables, not inlined literals), drawn in turn from a small pool so users and properties vary.
 */

export const USER_POOL = 1_000;
export const userId = (i: number): string => `bench-user-${i % USER_POOL}`;

const TRACK_QUERY =
  'mutation Track($events: [TrackEventInput!]!) { trackEvents(events: $events) { ok error { code message } } }';
const USERS_QUERY =
  'query Users($ids: [ID!]!) { users(externalIds: $ids) { externalId firstName email customAttributes } }';

export type ItemKind = 'events' | 'ids';

/** One kind of GraphQL request: `items` events (or ids) each, bodies taken in turn from the pool. */
export interface Operation {
  label: string;
  kind: ItemKind;
  items: number;
  bodies: string[];
}

const POOL = 64;

export function trackOperation(events: number): Operation {
  const time = new Date().toISOString();
  const bodies: string[] = [];
  let u = 0;
  for (let b = 0; b < POOL; b++) {
    const list = Array.from({ length: events }, (_, i) => ({
      user: { externalId: userId(u++ * 7) },
      name: i % 3 === 0 ? 'checkout_started' : 'page_viewed',
      time,
      properties: { cart_value: 42.5 + i, step: i % 5, source: 'bench' },
    }));
    bodies.push(JSON.stringify({ query: TRACK_QUERY, operationName: 'Track', variables: { events: list } }));
  }
  return {
    label: events === 1 ? 'trackEvents ×1' : `trackEvents ×${events}`,
    kind: 'events',
    items: events,
    bodies,
  };
}

export function usersOperation(ids: number): Operation {
  const bodies: string[] = [];
  let u = 0;
  for (let b = 0; b < POOL; b++) {
    // Distinct ids within a request (DataLoader would fold duplicates into one).
    const list = Array.from({ length: ids }, () => userId(u++ * 13));
    bodies.push(JSON.stringify({ query: USERS_QUERY, operationName: 'Users', variables: { ids: list } }));
  }
  return { label: `users ×${ids}`, kind: 'ids', items: ids, bodies };
}

/** Whether the answer is a success for every item, and how many items failed otherwise. */
export function judge(op: Operation, status: number, body: string): { ok: number; failed: number } {
  if (status !== 200 || body.includes('"errors"')) return { ok: 0, failed: op.items };
  if (op.kind === 'events') {
    let failed = 0;
    for (let i = body.indexOf('"ok":false'); i !== -1; i = body.indexOf('"ok":false', i + 1)) failed += 1;
    return { ok: op.items - failed, failed };
  }
  return { ok: op.items, failed: 0 };
}

/** Bodies for pre-creating the read scenarios' users straight on the simulator (75 per request). */
export function seedUserBodies(): string[] {
  const out: string[] = [];
  for (let start = 0; start < USER_POOL; start += 75) {
    const attributes = [];
    for (let i = start; i < Math.min(USER_POOL, start + 75); i++) {
      attributes.push({
        external_id: userId(i),
        first_name: `User${i}`,
        email: `user${i}@bench.example`,
        plan: i % 2 === 0 ? 'pro' : 'free',
      });
    }
    out.push(JSON.stringify({ attributes }));
  }
  return out;
}
