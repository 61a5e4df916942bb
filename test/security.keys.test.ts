import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { runCreateKey } from '../src/cli/createKey.js';
import { ForbiddenError, UnauthenticatedError } from '../src/errors.js';
import {
  ANONYMOUS_PRINCIPAL,
  GATEWAY_PERMISSIONS,
  checkOpenAccess,
  generateGatewayKey,
  hashGatewayKey,
  loadGatewayAuth,
  parseGatewayKeys,
  type GatewayKey,
} from '../src/security/keyStore.js';
import {
  authFailureResponse,
  authenticate,
  clientAddress,
  parseTrustedProxies,
} from '../src/security/authentication.js';
import {
  operationPermissions,
  requirePermission,
  requirePermissions,
} from '../src/security/operationPermissions.js';

const KEY_A = 'bgw_test-key-a-0123456789abcdefghijklmnopqrstuv';
const KEY_B = 'bgw_test-key-b-0123456789abcdefghijklmnopqrstuv';
const HASH_A = hashGatewayKey(KEY_A);
const HASH_B = hashGatewayKey(KEY_B);

function keysFrom(env: Record<string, string>): GatewayKey[] {
  const { keys, problems } = parseGatewayKeys(env);
  expect(problems).toEqual([]);
  return keys;
}

/** What authenticate throws, for asserting on class and message. */
function failure(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('permissions', () => {
  it('lists the Braze permissions of every endpoint, plus budget.read', () => {
    for (const p of [
      'users.track',
      'users.delete',
      'users.alias.new',
      'users.alias.update',
      'users.identify',
      'users.merge',
      'users.external_ids.rename',
      'users.external_ids.remove',
      'users.export.ids',
      'events.list',
      'purchases.product_list',
      'campaigns.list',
      'campaigns.details',
      'canvas.list',
      'canvas.details',
      'segments.list',
      'segments.details',
      'campaigns.trigger.send',
      'canvas.trigger.send',
      'messages.send',
      'sends.id.create',
      'subscription.status.set',
      'subscription.groups.get',
      'email.hard_bounces',
      'email.unsubscribe',
      'email.status',
      'email.bounce.remove',
      'email.spam.remove',
      'email.blacklist',
      'sms.invalid_phone_numbers',
      'sms.invalid_phone_numbers.remove',
      'kpi.dau.data_series',
      'kpi.mau.data_series',
      'kpi.new_users.data_series',
      'kpi.uninstalls.data_series',
      'sessions.data_series',
      'events.data_series',
      'segments.data_series',
      'campaigns.data_series',
      'sends.data_series',
      'canvas.data_series',
      'canvas.data_summary',
      'users.export.segment',
      'budget.read',
      // Scheduled messages (docs/braze-facts.md §3.18).
      'messages.schedule.create',
      'messages.schedule.update',
      'messages.schedule.delete',
      'campaigns.trigger.schedule.create',
      'campaigns.trigger.schedule.update',
      'campaigns.trigger.schedule.delete',
      'canvas.trigger.schedule.create',
      'canvas.trigger.schedule.update',
      'canvas.trigger.schedule.delete',
      'messages.schedule_broadcasts',
    ]) {
      expect(GATEWAY_PERMISSIONS).toContain(p);
    }
    expect(GATEWAY_PERMISSIONS).toHaveLength(54);
  });
});

describe('parseGatewayKeys', () => {
  it('reads entries separated by new lines or ;, skipping blanks and comments', () => {
    const keys = keysFrom({
      GATEWAY_KEYS: `# backoffice\nbackoffice:${HASH_A}:users.track,users.export.ids\n\n; ops:${HASH_B.toUpperCase()}:*:10.0.0.0/8, ::1, fd00::/8`,
    });
    expect(keys.map((k) => k.name)).toEqual(['backoffice', 'ops']);
    expect([...keys[0]!.permissions]).toEqual(['users.track', 'users.export.ids']);
    expect(keys[0]!.allowIps).toBeUndefined();
    expect(keys[1]!.sha256.toString('hex')).toBe(HASH_B);
    // Everything after the third colon is the allowlist: IPv6 ranges need no quoting.
    expect(keys[1]!.allowIps).toEqual(['10.0.0.0/8', '::1', 'fd00::/8']);
  });

  it('names a key without a name after its hash', () => {
    const [key] = keysFrom({ GATEWAY_KEYS: `:${HASH_A}:users.track` });
    expect(key!.name).toBe(`key-${HASH_A.slice(0, 8)}`);
  });

  it('reads GATEWAY_KEYS_FILE and merges it with GATEWAY_KEYS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bgw-keys-'));
    const file = join(dir, 'keys.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'etl', sha256: HASH_B, permissions: ['users.track'], allowIps: ['127.0.0.0/8'] },
      ]),
    );
    const keys = keysFrom({ GATEWAY_KEYS: `web:${HASH_A}:users.track`, GATEWAY_KEYS_FILE: file });
    expect(keys.map((k) => k.name)).toEqual(['web', 'etl']);
    expect(keys[1]!.allowIps).toEqual(['127.0.0.0/8']);
  });

  it('says what is wrong with each entry, and never repeats a key', () => {
    const { keys, problems } = parseGatewayKeys({
      GATEWAY_KEYS: [
        `good:${HASH_A}:users.track`,
        KEY_B, // a raw key pasted on its own
        `pasted:${KEY_B}:users.track`, // a raw key where the hash belongs
        `short:abc123:users.track`,
        `typo:${HASH_B}:users.tack,users.track`,
        `none:${HASH_B}:`,
        `nets:${HASH_B}:users.track:10.0.0.0/33,banana`,
        `bad name!:${HASH_B}:users.track`,
        `good:${HASH_B}:users.track`,
        `again:${HASH_A}:users.delete`,
      ].join('\n'),
    });
    expect(keys.map((k) => k.name)).toEqual(['good']);
    const text = problems.join('\n');
    expect(text).not.toContain(KEY_B);
    expect(text).not.toContain('test-key');
    expect(problems).toEqual([
      'GATEWAY_KEYS entry 2 is not valid: expected name:sha256:permissions[:allowIps], e.g. backoffice:<64 hex digits>:users.track,users.export.ids:10.0.0.0/8.',
      'GATEWAY_KEYS entry 3 ("pasted") holds a raw gateway key where its SHA-256 belongs: configure the hash (npx tsx src/cli/createKey.ts prints it), and treat that key as leaked.',
      'GATEWAY_KEYS entry 4 ("short") has an invalid sha256: expected the 64 hex digits of the key\'s SHA-256.',
      expect.stringMatching(
        /^GATEWAY_KEYS entry 5 \("typo"\) has unknown permission "users.tack": expected \* or any of budget.read, .*users.track\.$/,
      ),
      'GATEWAY_KEYS entry 6 ("none") has no permissions: list at least one (comma-separated in GATEWAY_KEYS), or * for all.',
      'GATEWAY_KEYS entry 7 ("nets") has an invalid allowIps item "10.0.0.0/33": expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8, 192.168.1.7 or fd00::/8.',
      'GATEWAY_KEYS entry 7 ("nets") has an invalid allowIps item "banana": expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8, 192.168.1.7 or fd00::/8.',
      'GATEWAY_KEYS entry 8 has an invalid name: expected 1 to 64 letters, digits, "_", "." or "-" (names appear in logs).',
      'GATEWAY_KEYS entry 9 ("good") has the same name as GATEWAY_KEYS entry 1 ("good"): key names must be unique.',
      'GATEWAY_KEYS entry 10 ("again") has the same hash as GATEWAY_KEYS entry 1 ("good"): each key must be configured once.',
    ]);
  });

  it('refuses, without showing it, a key pasted where the name belongs', () => {
    const { problems } = parseGatewayKeys({ GATEWAY_KEYS: `${KEY_A}:${HASH_A}:users.track` });
    expect(problems).toEqual([
      "GATEWAY_KEYS entry 1 has a name that looks like a gateway key: keys go nowhere but clients' headers.",
    ]);
  });

  it('reports an unreadable, non-JSON or mis-shaped file', () => {
    const read = (text: string) => () => text;
    expect(parseGatewayKeys({ GATEWAY_KEYS_FILE: '/nope/keys.json' }).problems).toEqual([
      'GATEWAY_KEYS_FILE="/nope/keys.json" cannot be read (ENOENT).',
    ]);
    expect(parseGatewayKeys({ GATEWAY_KEYS_FILE: 'k.json' }, read('{')).problems[0]).toMatch(
      /^GATEWAY_KEYS_FILE="k.json" is not valid JSON/,
    );
    expect(parseGatewayKeys({ GATEWAY_KEYS_FILE: 'k.json' }, read('{}')).problems[0]).toMatch(
      /must hold a JSON array/,
    );
    const { problems } = parseGatewayKeys(
      { GATEWAY_KEYS_FILE: 'k.json' },
      read(
        JSON.stringify([
          { name: 'a', sha256: HASH_A, permissions: ['users.track'], allowIP: ['10.0.0.0/8'] },
          { name: 'b', sha256: HASH_B, permissions: 'users.track' },
          { name: 'c', sha256: KEY_A, permissions: ['users.track'] },
        ]),
      ),
    );
    expect(problems).toEqual([
      'GATEWAY_KEYS_FILE entry 0 ("a") has unknown field "allowIP": expected name, sha256, permissions, allowIps, shares.',
      'GATEWAY_KEYS_FILE entry 1 ("b"): "permissions" must be an array of permission names, e.g. ["users.track"].',
      'GATEWAY_KEYS_FILE entry 2 ("c") holds a raw gateway key where its SHA-256 belongs: configure the hash (npx tsx src/cli/createKey.ts prints it), and treat that key as leaked.',
    ]);
    expect(problems.join('\n')).not.toContain(KEY_A);
  });
});

describe('authenticate', () => {
  const keys = keysFrom({
    GATEWAY_KEYS: `web:${HASH_A}:users.track,budget.read;local:${HASH_B}:*:127.0.0.0/8,2001:db8::/32`,
  });

  it('returns the principal of a known key', () => {
    const p = authenticate(keys, `Bearer ${KEY_A}`, '203.0.113.9');
    expect(p.name).toBe('web');
    expect(p.anonymous).toBe(false);
    expect(p.can('users.track')).toBe(true);
    expect(p.can('users.delete')).toBe(false);
    expect(authenticate(keys, `bearer  ${KEY_A} `, undefined).name).toBe('web');
  });

  it('refuses a missing, malformed, quoted or unknown key with UNAUTHENTICATED, never echoing it', () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /^Missing Authorization header/],
      ['', /^Missing Authorization header/],
      [KEY_A, /^Malformed Authorization header: expected Bearer <gateway key>/],
      [`Basic ${KEY_A}`, /^Malformed Authorization header: expected Bearer <gateway key>/],
      [`Bearer ${KEY_A} extra`, /^Malformed Authorization header: expected Bearer followed by one space/],
      [`Bearer "${KEY_A}"`, /wrapped in quotes/],
      [`Bearer ${KEY_A}x`, /^Unknown gateway key/],
    ];
    for (const [header, message] of cases) {
      const err = failure(() => authenticate(keys, header, '127.0.0.1'));
      expect(err).toBeInstanceOf(UnauthenticatedError);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain('test-key');
    }
  });

  it('applies the IP allowlist, with IPv4-mapped IPv6 matching IPv4 ranges', () => {
    for (const ip of ['127.0.0.1', '127.200.3.4', '::ffff:127.0.0.1', '2001:db8::1', '2001:db8:ffff::9']) {
      expect(authenticate(keys, `Bearer ${KEY_B}`, ip).name).toBe('local');
    }
    for (const ip of ['10.0.0.1', '::1', '::ffff:10.0.0.1', '2001:db9::1', undefined]) {
      const err = failure(() => authenticate(keys, `Bearer ${KEY_B}`, ip));
      expect(err).toBeInstanceOf(ForbiddenError);
      // Which address was refused, never which ranges are allowed.
      expect(err.message).toBe(`This gateway key is not allowed from ${ip ?? 'an unknown address'}.`);
    }
  });

  it('lets everyone in, with every permission, when no key is configured', () => {
    const p = authenticate([], undefined, undefined);
    expect(p).toBe(ANONYMOUS_PRINCIPAL);
    expect(p.anonymous).toBe(true);
    expect(p.can('users.delete')).toBe(true);
  });

  it('maps failures to 401 with a challenge, or 403', () => {
    const unauth = authFailureResponse(new UnauthenticatedError('Missing Authorization header.'));
    expect(unauth.status).toBe(401);
    expect(unauth.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(unauth.body.errors[0]!.extensions?.code).toBe('UNAUTHENTICATED');
    expect(authFailureResponse(new ForbiddenError('no')).status).toBe(403);
  });
});

describe('clientAddress behind proxies', () => {
  const { trusted, problems } = parseTrustedProxies({ GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8' });

  it('believes X-Forwarded-For only from a trusted proxy, read from the right', () => {
    expect(problems).toEqual([]);
    // No trusted proxies configured: the TCP peer, whatever the header says.
    expect(clientAddress('203.0.113.7', '127.0.0.1', undefined)).toBe('203.0.113.7');
    // An untrusted peer cannot claim an address.
    expect(clientAddress('203.0.113.7', '127.0.0.1', trusted)).toBe('203.0.113.7');
    // Through one proxy; a client-supplied hop on the left is ignored.
    expect(clientAddress('10.1.1.1', '127.0.0.1, 198.51.100.4', trusted)).toBe('198.51.100.4');
    // Through two proxies (both trusted), IPv4-mapped peer address.
    expect(clientAddress('::ffff:10.1.1.1', '198.51.100.4, 10.2.2.2', trusted)).toBe('198.51.100.4');
    expect(clientAddress('fd00::1', ['198.51.100.4', '10.2.2.2'], trusted)).toBe('198.51.100.4');
    // A garbled hop stops the walk at the last sound address.
    expect(clientAddress('10.1.1.1', 'nonsense, 10.3.3.3', trusted)).toBe('10.3.3.3');
    expect(clientAddress('10.1.1.1', undefined, trusted)).toBe('10.1.1.1');
  });

  it('reports a bad proxy range', () => {
    expect(parseTrustedProxies({ GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8,lb.internal' }).problems).toEqual([
      'GATEWAY_TRUSTED_PROXIES item "lb.internal" is not valid: expected comma-separated IPv4 or IPv6 addresses or CIDRs, e.g. 10.0.0.0/8,fd00::/8.',
    ]);
  });
});

describe('requirePermission', () => {
  const [key] = keysFrom({ GATEWAY_KEYS: `web:${HASH_A}:users.track` });
  const principal = authenticate([key!], `Bearer ${KEY_A}`, '127.0.0.1');

  it('names the missing permission', () => {
    expect(() => requirePermission(principal, 'users.track')).not.toThrow();
    const err = failure(() => requirePermission(principal, 'users.delete'));
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(err.message).toBe('This gateway key lacks the permission users.delete.');
    expect(
      failure(() => requirePermissions(principal, ['users.track', 'users.merge', 'users.delete'])).message,
    ).toBe('This gateway key lacks the permissions users.delete, users.merge.');
    expect(() => requirePermission(ANONYMOUS_PRINCIPAL, 'users.delete')).not.toThrow();
  });
});

describe('operationPermissions', () => {
  const map = {
    'Mutation.trackEvents': 'users.track',
    'Mutation.deleteUsers': 'users.delete',
    'Query.users': 'users.export.ids',
    user: 'users.export.ids',
    rateBudget: 'budget.read',
  };

  it('collects root fields through aliases, fragments and inline fragments', () => {
    const doc = parse(`
      mutation M($e: [TrackEventInput!]!) {
        a: trackEvents(events: $e) { ok }
        ...Deletes
      }
      fragment Deletes on Mutation { ... on Mutation { gone: deleteUsers(users: []) { ok } } }
    `);
    expect(operationPermissions(doc, map)).toEqual({
      permissions: ['users.delete', 'users.track'],
      unmapped: [],
    });
  });

  it('uses the selected operation, or every operation when the choice is unclear', () => {
    const doc = parse(`
      query Budget { rateBudget { group } __typename }
      query Users { users(externalIds: ["a"]) { email } _entities(representations: []) { __typename } }
    `);
    expect(operationPermissions(doc, map, 'Budget')).toEqual({ permissions: ['budget.read'], unmapped: [] });
    expect(operationPermissions(doc, map, 'Users')).toEqual({
      permissions: ['users.export.ids'],
      unmapped: ['Query._entities'],
    });
    for (const name of [undefined, 'Nope']) {
      expect(operationPermissions(doc, map, name).permissions).toEqual(['budget.read', 'users.export.ids']);
    }
    expect(operationPermissions(parse('{ __schema { queryType { name } } _service { sdl } }'), map)).toEqual({
      permissions: [],
      unmapped: [],
    });
  });

  it('survives fragment cycles and unknown fragments', () => {
    const doc = parse('query { ...A ...Missing } fragment A on Query { user(ref: {}) { email } ...A }');
    expect(operationPermissions(doc, map).permissions).toEqual(['users.export.ids']);
  });
});

describe('open access at start-up', () => {
  it('runs open with a warning outside production', () => {
    const d = checkOpenAccess({}, 0);
    expect(d).toEqual({ open: true, warning: expect.stringMatching(/gateway is open/) });
  });

  it('refuses to start open in production unless GATEWAY_ALLOW_ANONYMOUS=true', () => {
    expect(checkOpenAccess({ NODE_ENV: 'production' }, 0)).toEqual({
      open: true,
      problem: expect.stringMatching(/NODE_ENV=production: refusing to start.*GATEWAY_ALLOW_ANONYMOUS=true/),
    });
    expect(checkOpenAccess({ NODE_ENV: 'production', GATEWAY_ALLOW_ANONYMOUS: 'true' }, 0)).toMatchObject({
      open: true,
      warning: expect.any(String),
    });
    expect(checkOpenAccess({ NODE_ENV: 'production' }, 2)).toEqual({ open: false });
    expect(checkOpenAccess({ GATEWAY_ALLOW_ANONYMOUS: 'maybe' }, 0)).toEqual({
      open: true,
      problem: 'GATEWAY_ALLOW_ANONYMOUS="maybe" is not valid: expected true or false.',
    });
  });

  it('loadGatewayAuth combines both, without "running open" when the keys were merely invalid', () => {
    expect(
      loadGatewayAuth({ NODE_ENV: 'production', GATEWAY_KEYS: `x:${HASH_A}:users.track` }),
    ).toMatchObject({
      open: false,
      problems: [],
      warnings: [],
    });
    const bad = loadGatewayAuth({ NODE_ENV: 'production', GATEWAY_KEYS: 'x:nothex:users.track' });
    expect(bad.open).toBe(false);
    expect(bad.problems).toHaveLength(1);
    expect(bad.problems[0]).toMatch(/invalid sha256/);
  });
});

describe('createKey CLI', () => {
  function run(args: string[]): { code: number; out: string; err: string } {
    let out = '';
    let err = '';
    const code = runCreateKey(
      args,
      { write: (t: string) => (out += t) },
      { write: (t: string) => (err += t) },
    );
    return { code, out, err };
  }

  it('prints a new key once, and a config entry holding its hash that the gateway accepts', () => {
    const { code, out } = run([
      '--name',
      'backoffice',
      '--permissions',
      'users.track,users.export.ids',
      '--allow-ips',
      '10.0.0.0/8,fd00::/8',
    ]);
    expect(code).toBe(0);
    const key = /\b(bgw_[A-Za-z0-9_-]{43})\b/.exec(out)![1]!;
    expect(out.split(key)).toHaveLength(2); // shown exactly once
    const line = /^ {2}(backoffice:[0-9a-f]{64}:\S+)$/m.exec(out)![1]!;
    expect(line).toBe(`backoffice:${hashGatewayKey(key)}:users.track,users.export.ids:10.0.0.0/8,fd00::/8`);
    const json = JSON.parse(/^ {2}(\{.*\})$/m.exec(out)![1]!) as Record<string, unknown>;
    expect(json).toEqual({
      name: 'backoffice',
      sha256: hashGatewayKey(key),
      permissions: ['users.track', 'users.export.ids'],
      allowIps: ['10.0.0.0/8', 'fd00::/8'],
    });
    const keys = keysFrom({ GATEWAY_KEYS: line });
    expect(authenticate(keys, `Bearer ${key}`, '::ffff:10.1.2.3').can('users.export.ids')).toBe(true);
  });

  it('refuses unknown permissions and bad ranges, listing the valid permissions', () => {
    const { code, out, err } = run([
      '--name',
      'x',
      '--permissions',
      'users.tack',
      '--allow-ips',
      '300.1.1.1',
    ]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/Unknown permission users.tack: expected \* or any of budget.read, /);
    expect(err).toMatch(/"300.1.1.1" is not an IPv4\/IPv6 address or CIDR/);
    expect(run(['--permissions', 'users.track']).err).toMatch(/--name is required/);
    expect(run(['--name', 'x', '--bogus']).code).toBe(2);
  });

  it('generates distinct, prefixed, 256-bit keys', () => {
    const a = generateGatewayKey();
    expect(a).toMatch(/^bgw_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(generateGatewayKey());
  });
});
