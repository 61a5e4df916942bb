import { describe, expect, it } from 'vitest';
import type { WireExportedUser } from '../src/braze/wire.js';
import { EXPORT_FIELD_OF } from '../src/users/exportFields.js';
import { toBrazeUser } from '../src/users/exportShape.js';

/**
 * An exported user as BrazeUser resolvers read it. The shape is worked out field by field when
 * read (exportShape.ts): every field of the schema must read as it did when the whole object was
 * built up front, loosely typed input included.
 */
describe('an exported user read as a BrazeUser', () => {
  const wire = {
    external_id: 'u-1',
    braze_id: 'b-1',
    user_aliases: [{ alias_name: 'n', alias_label: 'l' }],
    first_name: 'Ana',
    last_name: 'Lima',
    email: 'ana@example.com',
    phone: 14155550123,
    country: 'BR',
    home_city: 'Recife',
    language: 'pt',
    time_zone: 'America/Recife',
    dob: '1990-01-02',
    gender: 'F',
    email_subscribe: 'opted_in',
    push_subscribe: 'subscribed',
    created_at: '2024-01-02T03:04:05.000Z',
    total_revenue: 12.5,
    random_bucket: 42,
    uninstalled_at: 'not a date',
    last_coordinates: [-34.9, -8.05],
    attributed_campaign: 'c',
    attributed_source: 's',
    attributed_adgroup: 'g',
    attributed_ad: 'a',
    custom_attributes: { plan: 'pro' },
    custom_events: [{ name: 'e', first: '2024-01-01T00:00:00Z', last: '2024-02-01T00:00:00Z', count: 3 }],
    purchases: [{ name: 7 }],
    devices: [{ device_id: 'd', model: 'm', os: 'ios', ad_tracking_enabled: true }],
    push_tokens: [{ app: 'x', platform: 'ios', token: 't', device_id: 'd', notifications_enabled: false }],
    apps: [{ name: 'x', platform: 'ios', version: '1', sessions: 2, first_used: '2024-01-01T00:00:00Z' }],
    campaigns_received: [{ name: 'c', api_campaign_id: 'cid', engaged: { email: true }, converted: true }],
    canvases_received: [
      { name: 'v', api_canvas_id: 'vid', steps_received: [{ name: 's', api_canvas_step_id: 'sid' }] },
    ],
  } as unknown as WireExportedUser;

  it('reads every field of the schema from the export, coerced as documented', () => {
    const user = toBrazeUser(wire);
    expect({
      externalId: user.externalId,
      phone: user.phone,
      aliases: user.aliases,
      createdAt: user.createdAt?.toISOString(),
      uninstalledAt: user.uninstalledAt,
      lastCoordinates: user.lastCoordinates,
      customAttributes: user.customAttributes,
      customEvents: user.customEvents.map((e) => ({
        ...e,
        first: e.first?.toISOString(),
        last: e.last?.toISOString(),
      })),
      purchases: user.purchases,
      devices: user.devices,
      pushTokens: user.pushTokens,
      apps: user.apps.map((a) => ({ ...a, firstUsed: a.firstUsed?.toISOString() })),
      campaignsReceived: user.campaignsReceived,
      canvasesReceived: user.canvasesReceived,
    }).toEqual({
      externalId: 'u-1',
      phone: '14155550123',
      aliases: [{ name: 'n', label: 'l' }],
      createdAt: '2024-01-02T03:04:05.000Z',
      uninstalledAt: null,
      lastCoordinates: { longitude: -34.9, latitude: -8.05 },
      customAttributes: { plan: 'pro' },
      customEvents: [
        { name: 'e', first: '2024-01-01T00:00:00.000Z', last: '2024-02-01T00:00:00.000Z', count: 3 },
      ],
      purchases: [{ name: '7', first: null, last: null, count: 0 }],
      devices: [
        {
          deviceId: 'd',
          model: 'm',
          os: 'ios',
          carrier: null,
          idfv: null,
          idfa: null,
          googleAdId: null,
          rokuAdId: null,
          adTrackingEnabled: true,
        },
      ],
      pushTokens: [{ app: 'x', platform: 'ios', token: 't', deviceId: 'd', notificationsEnabled: false }],
      apps: [
        {
          name: 'x',
          platform: 'ios',
          version: '1',
          sessions: 2,
          firstUsed: '2024-01-01T00:00:00.000Z',
          lastUsed: null,
        },
      ],
      campaignsReceived: [
        {
          name: 'c',
          apiCampaignId: 'cid',
          lastReceived: null,
          engaged: { email: true },
          converted: true,
          inControl: null,
          variationName: null,
          variationApiId: null,
        },
      ],
      canvasesReceived: [
        {
          name: 'v',
          apiCanvasId: 'vid',
          lastReceivedMessage: null,
          lastEntered: null,
          lastExited: null,
          inControl: null,
          variationName: null,
          stepsReceived: [{ name: 's', apiCanvasStepId: 'sid', lastReceived: null }],
        },
      ],
    });
    // Every BrazeUser field the schema maps to an export field reads as something (null at worst).
    for (const field of Object.keys(EXPORT_FIELD_OF)) {
      expect(user[field as keyof typeof user], field).not.toBeUndefined();
    }
  });

  it('reads a user Braze sent nearly empty as nulls and empty lists', () => {
    const user = toBrazeUser({ external_id: 'u-2' } as WireExportedUser);
    expect([user.email, user.lastCoordinates, user.customAttributes, user.totalRevenue]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect([user.aliases, user.devices, user.campaignsReceived]).toEqual([[], [], []]);
  });
});
