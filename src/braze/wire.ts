/**
 * Braze wire shapes (docs/braze-facts.md §3), as the gateway sends and reads them. Only what the gateway
 * uses is typed; everything else passes through as `unknown`.
 */

export interface WireUserAlias {
  alias_name: string;
  alias_label: string;
}

/** Exactly one of these identifies the user a /users/track object applies to. */
export interface WireUserIdentifier {
  external_id?: string;
  braze_id?: string;
  user_alias?: WireUserAlias;
  email?: string;
  phone?: string;
}

export interface WireAttributes extends WireUserIdentifier {
  _update_existing_only?: boolean;
  [attribute: string]: unknown;
}

export interface WireEvent extends WireUserIdentifier {
  name: string;
  time: string;
  app_id?: string;
  properties?: Record<string, unknown>;
  _update_existing_only?: boolean;
}

export interface WirePurchase extends WireUserIdentifier {
  product_id: string;
  currency: string;
  price: number;
  quantity?: number;
  time: string;
  app_id?: string;
  properties?: Record<string, unknown>;
  _update_existing_only?: boolean;
}

export const TRACK_ARRAYS = ['attributes', 'events', 'purchases'] as const;
export type TrackArray = (typeof TRACK_ARRAYS)[number];

export interface WireTrackBody {
  attributes?: WireAttributes[];
  events?: WireEvent[];
  purchases?: WirePurchase[];
}

/** A non-fatal (2xx) or fatal (4xx) error entry. `/users/track` sends objects, others strings. */
export type WireErrorEntry =
  string | { type: string; input_array?: TrackArray; index?: number; [k: string]: unknown };

export interface WireResponse {
  message?: string;
  errors?: WireErrorEntry[];
  [field: string]: unknown;
}

export interface WireTrackResponse extends WireResponse {
  attributes_processed?: number;
  events_processed?: number;
  purchases_processed?: number;
}

export interface WireExportIdsBody {
  external_ids?: string[];
  user_aliases?: WireUserAlias[];
  braze_id?: string;
  email_address?: string;
  phone?: string;
  fields_to_export?: string[];
}

/** One user as /users/export/ids returns it (the fields the gateway reads). */
export interface WireExportedUser {
  external_id?: string;
  braze_id?: string;
  user_aliases?: WireUserAlias[];
  first_name?: string;
  last_name?: string;
  email?: string;
  phone?: string;
  country?: string;
  home_city?: string;
  language?: string;
  time_zone?: string;
  dob?: string;
  gender?: string;
  created_at?: string;
  email_subscribe?: string;
  push_subscribe?: string;
  total_revenue?: number;
  random_bucket?: number;
  custom_attributes?: Record<string, unknown>;
  custom_events?: Array<{ name: string; first: string; last: string; count: number }>;
  purchases?: Array<{ name: string; first: string; last: string; count: number }>;
  [field: string]: unknown;
}

export interface WireExportIdsResponse extends WireResponse {
  users?: WireExportedUser[];
  invalid_user_ids?: string[];
}
