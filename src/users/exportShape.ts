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

/**
 * The user as BrazeUser resolvers read it: each field is worked out from the exported user when
 * it is read (a selection reads a few of some thirty fields, for up to hundreds of users per
 * operation) rather than the whole shape being built for every user.
 */
class BrazeUserView {
  readonly #u: WireExportedUser;

  constructor(u: WireExportedUser) {
    this.#u = u;
  }

  get externalId() {
    return str(this.#u.external_id);
  }

  get brazeId() {
    return str(this.#u.braze_id);
  }

  get aliases() {
    return list(this.#u.user_aliases).map((a) => ({
      name: str(a.alias_name) ?? '',
      label: str(a.alias_label) ?? '',
    }));
  }

  get email() {
    return str(this.#u.email);
  }

  get phone() {
    return str(this.#u.phone);
  }

  get firstName() {
    return str(this.#u.first_name);
  }

  get lastName() {
    return str(this.#u.last_name);
  }

  get country() {
    return str(this.#u.country);
  }

  get homeCity() {
    return str(this.#u.home_city);
  }

  get language() {
    return str(this.#u.language);
  }

  get timeZone() {
    return str(this.#u.time_zone);
  }

  get dateOfBirth() {
    return str(this.#u.dob);
  }

  get gender() {
    return str(this.#u.gender);
  }

  get emailSubscribe() {
    return str(this.#u.email_subscribe);
  }

  get pushSubscribe() {
    return str(this.#u.push_subscribe);
  }

  get createdAt() {
    return toDate(this.#u.created_at);
  }

  get totalRevenue() {
    return num(this.#u.total_revenue);
  }

  get randomBucket() {
    return int(this.#u.random_bucket);
  }

  get uninstalledAt() {
    return toDate(this.#u.uninstalled_at);
  }

  /** Braze sends [longitude, latitude]. */
  get lastCoordinates() {
    const coords = Array.isArray(this.#u.last_coordinates) ? this.#u.last_coordinates : undefined;
    return coords !== undefined && num(coords[0]) !== null && num(coords[1]) !== null
      ? { longitude: coords[0] as number, latitude: coords[1] as number }
      : null;
  }

  get attributedCampaign() {
    return str(this.#u.attributed_campaign);
  }

  get attributedSource() {
    return str(this.#u.attributed_source);
  }

  get attributedAdgroup() {
    return str(this.#u.attributed_adgroup);
  }

  get attributedAd() {
    return str(this.#u.attributed_ad);
  }

  get customAttributes() {
    return obj(this.#u.custom_attributes);
  }

  get customEvents() {
    return list(this.#u.custom_events).map(summary);
  }

  get purchases() {
    return list(this.#u.purchases).map(summary);
  }

  get devices() {
    return list(this.#u.devices).map((d) => ({
      deviceId: str(d.device_id),
      model: str(d.model),
      os: str(d.os),
      carrier: str(d.carrier),
      idfv: str(d.idfv),
      idfa: str(d.idfa),
      googleAdId: str(d.google_ad_id),
      rokuAdId: str(d.roku_ad_id),
      adTrackingEnabled: bool(d.ad_tracking_enabled),
    }));
  }

  get pushTokens() {
    return list(this.#u.push_tokens).map((t) => ({
      app: str(t.app),
      platform: str(t.platform),
      token: str(t.token),
      deviceId: str(t.device_id),
      notificationsEnabled: bool(t.notifications_enabled),
    }));
  }

  get apps() {
    return list(this.#u.apps).map((a) => ({
      name: str(a.name),
      platform: str(a.platform),
      version: str(a.version),
      sessions: int(a.sessions),
      firstUsed: toDate(a.first_used),
      lastUsed: toDate(a.last_used),
    }));
  }

  get campaignsReceived() {
    return list(this.#u.campaigns_received).map((c) => ({
      name: str(c.name),
      apiCampaignId: str(c.api_campaign_id),
      lastReceived: toDate(c.last_received),
      engaged: obj(c.engaged),
      converted: bool(c.converted),
      inControl: bool(c.in_control),
      variationName: str(c.variation_name),
      variationApiId: str(c.variation_api_id),
    }));
  }

  get canvasesReceived() {
    return list(this.#u.canvases_received).map((c) => ({
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
    }));
  }
}

export function toBrazeUser(u: WireExportedUser): BrazeUserView {
  return new BrazeUserView(u);
}

/** What BrazeUser resolvers read. */
export type BrazeUserModel = BrazeUserView;
