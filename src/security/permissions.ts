/**
 * Root field → the permission a gateway key needs for it, named like Braze's REST key
 * permissions (docs/braze-facts.md §1.2), plus the gateway's own `budget.read`. A root field missing here is
 * refused to every key without `*`: a new operation must be mapped before scoped keys reach it.
 */
export const FIELD_PERMISSIONS: Readonly<Record<string, string>> = {
  'Mutation.trackEvents': 'users.track',
  'Mutation.trackPurchases': 'users.track',
  'Mutation.setUserAttributes': 'users.track',
  'Mutation.deleteUsers': 'users.delete',
  'Mutation.createUserAliases': 'users.alias.new',
  'Mutation.updateUserAliases': 'users.alias.update',
  'Mutation.identifyUsers': 'users.identify',
  'Mutation.mergeUsers': 'users.merge',
  'Mutation.renameExternalIds': 'users.external_ids.rename',
  'Mutation.removeExternalIds': 'users.external_ids.remove',
  'Mutation.triggerCampaign': 'campaigns.trigger.send',
  'Mutation.triggerCanvas': 'canvas.trigger.send',
  'Mutation.sendMessages': 'messages.send',
  'Mutation.createSendId': 'sends.id.create',
  'Mutation.setSubscriptionStatus': 'subscription.status.set',
  'Query.user': 'users.export.ids',
  'Query.users': 'users.export.ids',
  'Query._entities': 'users.export.ids',
  'Query.customEvents': 'events.list',
  'Query.purchaseProductIds': 'purchases.product_list',
  'Query.campaigns': 'campaigns.list',
  'Query.campaign': 'campaigns.details',
  'Query.canvases': 'canvas.list',
  'Query.canvas': 'canvas.details',
  'Query.segments': 'segments.list',
  'Query.segment': 'segments.details',
  'Query.userSubscriptions': 'subscription.groups.get',
  'Query.rateBudget': 'budget.read',
  // Email and SMS list hygiene (docs/braze-facts.md §3.18): Braze's own permission names.
  'Query.emailHardBounces': 'email.hard_bounces',
  'Query.emailUnsubscribes': 'email.unsubscribe',
  'Query.invalidPhoneNumbers': 'sms.invalid_phone_numbers',
  'Mutation.setEmailSubscriptionStatus': 'email.status',
  'Mutation.removeEmailBounces': 'email.bounce.remove',
  'Mutation.removeEmailSpam': 'email.spam.remove',
  'Mutation.blocklistEmails': 'email.blacklist',
  'Mutation.removeInvalidPhoneNumbers': 'sms.invalid_phone_numbers.remove',
};
