import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * BrazeUser fields → the Braze export fields that fill them, so /users/export/ids is asked for
 * exactly what the query selects (`fields_to_export`): smaller answers, and on workspaces with the
 * 40 req/s tier, no `campaigns_received`/`canvases_received` unless selected.
 */
export const EXPORT_FIELD_OF: Readonly<Record<string, string>> = {
  externalId: 'external_id',
  brazeId: 'braze_id',
  aliases: 'user_aliases',
  email: 'email',
  phone: 'phone',
  firstName: 'first_name',
  lastName: 'last_name',
  country: 'country',
  homeCity: 'home_city',
  language: 'language',
  timeZone: 'time_zone',
  dateOfBirth: 'dob',
  gender: 'gender',
  emailSubscribe: 'email_subscribe',
  pushSubscribe: 'push_subscribe',
  createdAt: 'created_at',
  totalRevenue: 'total_revenue',
  randomBucket: 'random_bucket',
  uninstalledAt: 'uninstalled_at',
  lastCoordinates: 'last_coordinates',
  attributedCampaign: 'attributed_campaign',
  attributedSource: 'attributed_source',
  attributedAdgroup: 'attributed_adgroup',
  attributedAd: 'attributed_ad',
  customAttributes: 'custom_attributes',
  customEvents: 'custom_events',
  purchases: 'purchases',
  devices: 'devices',
  pushTokens: 'push_tokens',
  apps: 'apps',
  campaignsReceived: 'campaigns_received',
  canvasesReceived: 'canvases_received',
};

/** Always exported: how an answer's users are matched back to the ids asked for. */
export const IDENTITY_FIELDS = ['external_id', 'braze_id', 'user_aliases'] as const;

/** The export fields the selection under this resolver's field needs (fragments followed). */
export function exportFieldsFor(info: GraphQLResolveInfo): string[] {
  const fields = new Set<string>(IDENTITY_FIELDS);
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) {
        const mapped = EXPORT_FIELD_OF[selection.name.value];
        if (mapped !== undefined) fields.add(mapped);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, seen);
      } else {
        const name = selection.name.value;
        if (seen.has(name)) continue;
        seen.add(name);
        const fragment: FragmentDefinitionNode | undefined = info.fragments[name];
        visit(fragment?.selectionSet, seen);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet, new Set());
  return [...fields].sort();
}
