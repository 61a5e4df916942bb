import { trackItem, type TrackItem } from './trackLane.js';
import type { WireAttributes, WireEvent, WirePurchase } from '../braze/wire.js';
import { BadInputError } from '../errors.js';
import type { TrackEventInput, TrackPurchaseInput, UserAttributesInput } from '../generated/graphql.js';
import { readUserRef, wireFieldsOf } from './identifiers.js';

/**
 * GraphQL inputs → /users/track objects, validated against Braze's documented rules (facts
 * §3.1) before they are batched, so that a malformed item fails alone and never costs its
 * batch-mates a rejected request.
 */

const MAX_NAME_CHARS = 255;
const MAX_STRING_PROPERTY_CHARS = 255;
/** Event properties may total 100 KB, purchase properties 50 KB (docs/braze-facts.md C-7: two doc revisions). */
const MAX_EVENT_PROPERTIES_BYTES = 100_000;
const MAX_PURCHASE_PROPERTIES_BYTES = 50_000;
const MAX_ATTRIBUTES_BYTES = 100_000;
const RESERVED_PROPERTY_NAMES = new Set(['time', 'event_name']);
/** Keys the gateway sets itself from `user` and `updateExistingOnly`. */
const IDENTIFIER_ATTRIBUTE_KEYS = new Set([
  'external_id',
  'braze_id',
  'user_alias',
  '_update_existing_only',
  'push_token_import',
]);

export function eventObject(input: TrackEventInput, path: string): TrackItem {
  // wireFieldsOf gives a fresh object: the event's fields follow its identifier, as Braze shows them.
  const object = wireFieldsOf(readUserRef(input.user, `${path}.user`)) as WireEvent;
  object.name = checkName(input.name, `${path}.name`);
  object.time = isoTime(input.time, `${path}.time`);
  return occurrenceItem('events', object, input, MAX_EVENT_PROPERTIES_BYTES, path);
}

export function purchaseObject(input: TrackPurchaseInput, path: string): TrackItem {
  const currency = input.currency.toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new BadInputError(
      `currency must be a three-letter ISO-4217 code such as EUR (got ${JSON.stringify(input.currency)}).`,
      `${path}.currency`,
    );
  }
  if (!Number.isFinite(input.price))
    throw new BadInputError('price must be a finite number.', `${path}.price`);
  const object = wireFieldsOf(readUserRef(input.user, `${path}.user`)) as WirePurchase;
  object.product_id = checkName(input.productId, `${path}.productId`);
  object.currency = currency;
  object.price = input.price;
  object.time = isoTime(input.time, `${path}.time`);
  if (input.quantity != null) {
    if (input.quantity < 1 || input.quantity > 100) {
      throw new BadInputError(`quantity must be from 1 to 100 (got ${input.quantity}).`, `${path}.quantity`);
    }
    object.quantity = input.quantity;
  }
  return occurrenceItem('purchases', object, input, MAX_PURCHASE_PROPERTIES_BYTES, path);
}

/**
 * The fields events and purchases share (app, properties, update-only), then the object
 * serialized once for the lane and the checks that read it.
 */
function occurrenceItem(
  array: 'events' | 'purchases',
  object: WireEvent | WirePurchase,
  input: Pick<TrackEventInput, 'appId' | 'properties' | 'updateExistingOnly'>,
  maxPropertiesBytes: number,
  path: string,
): TrackItem {
  if (input.appId != null) object.app_id = input.appId;
  if (input.properties != null)
    object.properties = checkPropertyNames(input.properties, `${path}.properties`);
  if (input.updateExistingOnly != null) object._update_existing_only = input.updateExistingOnly;
  const item =
    array === 'events'
      ? trackItem({ array, object: object as WireEvent })
      : trackItem({ array, object: object as WirePurchase });
  checkPropertiesSize(item, object.properties, maxPropertiesBytes, `${path}.properties`);
  checkAliasUpdateOnly(object, input.updateExistingOnly, path);
  return item;
}

export function attributesObject(input: UserAttributesInput, path: string): TrackItem {
  const attributes = input.attributes;
  const keys = Object.keys(attributes);
  if (keys.length === 0)
    throw new BadInputError('attributes must name at least one attribute.', `${path}.attributes`);
  for (const key of keys) {
    if (key.length === 0) throw new BadInputError('attribute names must not be empty.', `${path}.attributes`);
    if (IDENTIFIER_ATTRIBUTE_KEYS.has(key)) {
      throw new BadInputError(
        `${key} cannot be set as an attribute: name the user in "user" and use "updateExistingOnly".`,
        `${path}.attributes`,
      );
    }
  }
  if (Buffer.byteLength(JSON.stringify(attributes)) > MAX_ATTRIBUTES_BYTES) {
    throw new BadInputError(
      `attributes are larger than ${MAX_ATTRIBUTES_BYTES / 1000} KB.`,
      `${path}.attributes`,
    );
  }
  const id = readUserRef(input.user, `${path}.user`);
  if ((id.kind === 'email' || id.kind === 'phone') && id.kind in attributes) {
    // The identifier and the attribute share one field of the object: the new value would be lost.
    throw new BadInputError(
      `the user is named by ${id.kind}, so ${id.kind} cannot also be set as an attribute here; name the user by another identifier to change it.`,
      `${path}.attributes`,
    );
  }
  const object: WireAttributes = { ...attributes, ...wireFieldsOf(id) };
  // Attributes may name any user update-only, aliases included.
  if (input.updateExistingOnly != null) object._update_existing_only = input.updateExistingOnly;
  return trackItem({ array: 'attributes', object });
}

function checkName(name: string, path: string): string {
  if (name.trim().length === 0) throw new BadInputError('must not be empty.', path);
  if (name.length > MAX_NAME_CHARS)
    throw new BadInputError(`is longer than ${MAX_NAME_CHARS} characters.`, path);
  return name;
}

function isoTime(time: Date, path: string): string {
  if (Number.isNaN(time.getTime())) throw new BadInputError('is not a valid date-time.', path);
  return isoString(time);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * What `toISOString` writes, put together from the UTC fields for years 1000 to 9999 (every
 * event and purchase has a time, and the runtime call costs two to three times as much); other
 * years (six-digit or signed forms) are left to `toISOString`.
 */
export function isoString(time: Date): string {
  const year = time.getUTCFullYear();
  if (year < 1000 || year > 9999) return time.toISOString();
  return (
    `${year}-${pad2(time.getUTCMonth() + 1)}-${pad2(time.getUTCDate())}` +
    `T${pad2(time.getUTCHours())}:${pad2(time.getUTCMinutes())}:${pad2(time.getUTCSeconds())}` +
    `.${pad3(time.getUTCMilliseconds())}Z`
  );
}

/** The rules on property names and string values (the size is checked on the object's JSON). */
function checkPropertyNames(properties: Record<string, unknown>, path: string): Record<string, unknown> {
  for (const name of Object.keys(properties)) {
    if (name.length === 0) throw new BadInputError('property names must not be empty.', path);
    if (name.length > MAX_NAME_CHARS) {
      throw new BadInputError(
        `property name ${JSON.stringify(name.slice(0, 40))}… is longer than ${MAX_NAME_CHARS} characters.`,
        path,
      );
    }
    if (name.startsWith('$'))
      throw new BadInputError(`property name ${JSON.stringify(name)} must not start with $.`, path);
    if (RESERVED_PROPERTY_NAMES.has(name)) {
      throw new BadInputError(`property name ${JSON.stringify(name)} is reserved by Braze.`, path);
    }
    const value = properties[name];
    if (typeof value === 'string' && value.length > MAX_STRING_PROPERTY_CHARS) {
      throw new BadInputError(
        `property ${JSON.stringify(name)} is a string longer than ${MAX_STRING_PROPERTY_CHARS} characters.`,
        path,
      );
    }
  }
  return properties;
}

/**
 * The properties' JSON is part of the object's, serialized once for the lane: only an object
 * whose JSON is over the limit can hold properties over it, and only then are they measured alone.
 */
function checkPropertiesSize(
  item: TrackItem,
  properties: Record<string, unknown> | undefined,
  maxBytes: number,
  path: string,
): void {
  if (item.bytes <= maxBytes || properties === undefined) return;
  if (Buffer.byteLength(JSON.stringify(properties)) > maxBytes) {
    throw new BadInputError(`properties are larger than ${maxBytes / 1000} KB.`, path);
  }
}

/**
 * Events and purchases named by alias are always update-only at Braze; asking otherwise is a
 * mistake worth reporting rather than silently ignoring. (Checked after the properties' size,
 * as it always was.)
 */
function checkAliasUpdateOnly(
  object: WireEvent | WirePurchase,
  value: boolean | null | undefined,
  path: string,
): void {
  if (value === false && object.user_alias !== undefined) {
    throw new BadInputError(
      'updateExistingOnly cannot be false for a user named by alias: Braze only records events and purchases on existing alias users.',
      `${path}.updateExistingOnly`,
    );
  }
}
