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
  'Query.usersMatching': 'users.export.ids',
  'Query._entities': 'users.export.ids',
  'Query.customEvents': 'events.list',
  'Query.purchaseProductIds': 'purchases.product_list',
  'Query.campaigns': 'campaigns.list',
  'Query.campaign': 'campaigns.details',
  'Query.canvases': 'canvas.list',
  'Query.canvas': 'canvas.details',
  'Query.segments': 'segments.list',
  'Query.segment': 'segments.details',
  'Query.campaignsConnection': 'campaigns.list',
  'Query.canvasesConnection': 'canvas.list',
  'Query.segmentsConnection': 'segments.list',
  'Query.customEventsConnection': 'events.list',
  'Query.purchaseProductIdsConnection': 'purchases.product_list',
  'Query.userSubscriptions': 'subscription.groups.get',
  'Query.rateBudget': 'budget.read',
  'Mutation.scheduleMessages': 'messages.schedule.create',
  'Mutation.updateScheduledMessages': 'messages.schedule.update',
  'Mutation.cancelScheduledMessages': 'messages.schedule.delete',
  'Mutation.scheduleCampaign': 'campaigns.trigger.schedule.create',
  'Mutation.updateScheduledCampaign': 'campaigns.trigger.schedule.update',
  'Mutation.cancelScheduledCampaign': 'campaigns.trigger.schedule.delete',
  'Mutation.scheduleCanvas': 'canvas.trigger.schedule.create',
  'Mutation.updateScheduledCanvas': 'canvas.trigger.schedule.update',
  'Mutation.cancelScheduledCanvas': 'canvas.trigger.schedule.delete',
  'Query.scheduledBroadcasts': 'messages.schedule_broadcasts',
  // Email and SMS list hygiene (docs/braze-facts.md §3.19): Braze's own permission names.
  'Query.emailHardBounces': 'email.hard_bounces',
  'Query.emailUnsubscribes': 'email.unsubscribe',
  'Query.invalidPhoneNumbers': 'sms.invalid_phone_numbers',
  'Mutation.setEmailSubscriptionStatus': 'email.status',
  'Mutation.removeEmailBounces': 'email.bounce.remove',
  'Mutation.removeEmailSpam': 'email.spam.remove',
  'Mutation.blocklistEmails': 'email.blacklist',
  'Mutation.removeInvalidPhoneNumbers': 'sms.invalid_phone_numbers.remove',
  'Query.dailyActiveUsers': 'kpi.dau.data_series',
  'Query.monthlyActiveUsers': 'kpi.mau.data_series',
  'Query.newUsers': 'kpi.new_users.data_series',
  'Query.uninstalls': 'kpi.uninstalls.data_series',
  'Query.sessionSeries': 'sessions.data_series',
  'Query.customEventSeries': 'events.data_series',
  'Query.segmentSizeSeries': 'segments.data_series',
  'Query.campaignSeries': 'campaigns.data_series',
  'Query.sendSeries': 'sends.data_series',
  'Query.canvasSeries': 'canvas.data_series',
  'Query.canvasSummary': 'canvas.data_summary',
  'Mutation.startSegmentExport': 'users.export.segment',
  'Query.segmentExport': 'users.export.segment',
};

/**
 * Fields below the root that cost a Braze request of another permission than their root field's:
 * details selected under list entries (`campaignsConnection { nodes { details { … } } }` needs
 * campaigns.details besides campaigns.list).
 */
export const NESTED_FIELD_PERMISSIONS: Readonly<Record<string, string>> = {
  'Campaign.details': 'campaigns.details',
  'Canvas.details': 'canvas.details',
  'Segment.details': 'segments.details',
};
