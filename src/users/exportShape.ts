import { bool, int, num, obj, objects, str as asString, toDate, type Obj } from '../braze/coerce.js';
import type { WireExportedUser } from '../braze/wire.js';

/**
 * Braze's exported user (snake_case, loosely typed) → the schema's BrazeUser shape. Custom
 * attributes pass through untouched (they are the customer's own names). A timestamp Braze sends
 * in a form that does not parse becomes null rather than failing the whole user.
 */

/** Ids and names in exports may come as numbers: shown as strings. */
const str = (v: unknown): string | null => asString(v, { numbers: true });
const list = objects;

function summary(o: Obj) {
  return { name: str(o.name) ?? '', first: toDate(o.first), last: toDate(o.last), count: int(o.count) ?? 0 };
}

export function toBrazeUser(u: WireExportedUser) {
  const coords = Array.isArray(u.last_coordinates) ? u.last_coordinates : undefined;
  return {
    externalId: str(u.external_id),
    brazeId: str(u.braze_id),
    aliases: list(u.user_aliases).map((a) => ({
      name: str(a.alias_name) ?? '',
      label: str(a.alias_label) ?? '',
    })),
    email: str(u.email),
    phone: str(u.phone),
    firstName: str(u.first_name),
    lastName: str(u.last_name),
    country: str(u.country),
    homeCity: str(u.home_city),
    language: str(u.language),
    timeZone: str(u.time_zone),
    dateOfBirth: str(u.dob),
    gender: str(u.gender),
    emailSubscribe: str(u.email_subscribe),
    pushSubscribe: str(u.push_subscribe),
    createdAt: toDate(u.created_at),
    totalRevenue: num(u.total_revenue),
    randomBucket: int(u.random_bucket),
    uninstalledAt: toDate(u.uninstalled_at),
    // Braze sends [longitude, latitude].
    lastCoordinates:
      coords !== undefined && num(coords[0]) !== null && num(coords[1]) !== null
        ? { longitude: coords[0] as number, latitude: coords[1] as number }
        : null,
    attributedCampaign: str(u.attributed_campaign),
    attributedSource: str(u.attributed_source),
    attributedAdgroup: str(u.attributed_adgroup),
    attributedAd: str(u.attributed_ad),
    customAttributes: obj(u.custom_attributes),
    customEvents: list(u.custom_events).map(summary),
    purchases: list(u.purchases).map(summary),
    devices: list(u.devices).map((d) => ({
      deviceId: str(d.device_id),
      model: str(d.model),
      os: str(d.os),
      carrier: str(d.carrier),
      idfv: str(d.idfv),
      idfa: str(d.idfa),
      googleAdId: str(d.google_ad_id),
      rokuAdId: str(d.roku_ad_id),
      adTrackingEnabled: bool(d.ad_tracking_enabled),
    })),
    pushTokens: list(u.push_tokens).map((t) => ({
      app: str(t.app),
      platform: str(t.platform),
      token: str(t.token),
      deviceId: str(t.device_id),
      notificationsEnabled: bool(t.notifications_enabled),
    })),
    apps: list(u.apps).map((a) => ({
      name: str(a.name),
      platform: str(a.platform),
      version: str(a.version),
      sessions: int(a.sessions),
      firstUsed: toDate(a.first_used),
      lastUsed: toDate(a.last_used),
    })),
    campaignsReceived: list(u.campaigns_received).map((c) => ({
      name: str(c.name),
      apiCampaignId: str(c.api_campaign_id),
      lastReceived: toDate(c.last_received),
      engaged: obj(c.engaged),
      converted: bool(c.converted),
      inControl: bool(c.in_control),
      variationName: str(c.variation_name),
      variationApiId: str(c.variation_api_id),
    })),
    canvasesReceived: list(u.canvases_received).map((c) => ({
      name: str(c.name),
      apiCanvasId: str(c.api_canvas_id),
      lastReceivedMessage: toDate(c.last_received_message),
      lastEntered: toDate(c.last_entered),
      lastExited: toDate(c.last_exited),
      inControl: bool(c.in_control),
      variationName: str(c.variation_name),
      stepsReceived: list(c.steps_received).map((s) => ({
        name: str(s.name),
        apiCanvasStepId: str(s.api_canvas_step_id),
        lastReceived: toDate(s.last_received),
      })),
    })),
  };
}

/** What BrazeUser resolvers read. */
export type BrazeUserModel = ReturnType<typeof toBrazeUser>;
