import type { EndpointName } from '../brazeRules.js';
import { aliasNew } from './aliasNew.js';
import { aliasUpdate } from './aliasUpdate.js';
import { campaignsDetails } from './campaignsDetails.js';
import { campaignsList } from './campaignsList.js';
import { campaignsTriggerSend } from './campaignsTriggerSend.js';
import { canvasDetails } from './canvasDetails.js';
import { canvasList } from './canvasList.js';
import { canvasTriggerSend } from './canvasTriggerSend.js';
import { emailBlocklist } from './emailBlocklist.js';
import { emailBounceRemove } from './emailBounceRemove.js';
import { emailHardBounces } from './emailHardBounces.js';
import { emailSpamRemove } from './emailSpamRemove.js';
import { emailStatus } from './emailStatus.js';
import { emailUnsubscribes } from './emailUnsubscribes.js';
import { eventsList } from './eventsList.js';
import { exportIds } from './exportIds.js';
import { externalIdsRemove } from './externalIdsRemove.js';
import { externalIdsRename } from './externalIdsRename.js';
import { identify } from './identify.js';
import { merge } from './merge.js';
import { messagesSend } from './messagesSend.js';
import { productList } from './productList.js';
import { segmentsDetails } from './segmentsDetails.js';
import { segmentsList } from './segmentsList.js';
import { sendsIdCreate } from './sendsIdCreate.js';
import { smsInvalidPhoneNumbers } from './smsInvalidPhoneNumbers.js';
import { smsInvalidPhoneNumbersRemove } from './smsInvalidPhoneNumbersRemove.js';
import { subscriptionStatusSet } from './subscriptionStatusSet.js';
import { subscriptionStatusSetV2 } from './subscriptionStatusSetV2.js';
import { subscriptionUserStatus } from './subscriptionUserStatus.js';
import { track } from './track.js';
import { campaignsTriggerScheduleCreate } from './campaignsTriggerScheduleCreate.js';
import { campaignsTriggerScheduleDelete } from './campaignsTriggerScheduleDelete.js';
import { campaignsTriggerScheduleUpdate } from './campaignsTriggerScheduleUpdate.js';
import { canvasTriggerScheduleCreate } from './canvasTriggerScheduleCreate.js';
import { canvasTriggerScheduleDelete } from './canvasTriggerScheduleDelete.js';
import { canvasTriggerScheduleUpdate } from './canvasTriggerScheduleUpdate.js';
import { messagesScheduleCreate } from './messagesScheduleCreate.js';
import { messagesScheduleDelete } from './messagesScheduleDelete.js';
import { messagesScheduledBroadcasts } from './messagesScheduledBroadcasts.js';
import { messagesScheduleUpdate } from './messagesScheduleUpdate.js';
import type { RouteHandler } from './types.js';
import { usersDelete } from './usersDelete.js';

// Analytics and segment exports (docs/braze-facts.md §3.20, §3.21).
import { campaignsDataSeries } from './campaignsDataSeries.js';
import { canvasDataSeries } from './canvasDataSeries.js';
import { canvasDataSummary } from './canvasDataSummary.js';
import { eventsDataSeries } from './eventsDataSeries.js';
import { kpiDau } from './kpiDau.js';
import { kpiMau } from './kpiMau.js';
import { kpiNewUsers } from './kpiNewUsers.js';
import { kpiUninstalls } from './kpiUninstalls.js';
import { segmentsDataSeries } from './segmentsDataSeries.js';
import { sendsDataSeries } from './sendsDataSeries.js';
import { sessionsDataSeries } from './sessionsDataSeries.js';
import { usersExportSegment } from './usersExportSegment.js';

export type { RouteContext, RouteHandler, RouteResult } from './types.js';

/**
 * The simulated Braze endpoints, keyed by their row in `ENDPOINT_RULES` (brazeRules.ts). Adding an endpoint means
 * writing one handler and adding one line here; auth, faults, rate limits, Content-Type and JSON
 * parsing are done before a handler runs.
 */
export const ROUTES: Partial<Record<EndpointName, RouteHandler>> = {
  'users.track': track,
  'users.export.ids': exportIds,
  'users.delete': usersDelete,
  'users.alias.new': aliasNew,
  'users.alias.update': aliasUpdate,
  'users.identify': identify,
  'users.merge': merge,
  'users.external_ids.rename': externalIdsRename,
  'users.external_ids.remove': externalIdsRemove,
  'events.list': eventsList,
  'purchases.product_list': productList,
  'messages.send': messagesSend,
  'campaigns.trigger.send': campaignsTriggerSend,
  'canvas.trigger.send': canvasTriggerSend,
  'sends.id.create': sendsIdCreate,
  'subscription.status.set': subscriptionStatusSet,
  'subscription.status.set.v2': subscriptionStatusSetV2,
  'subscription.user.status': subscriptionUserStatus,
  'campaigns.list': campaignsList,
  'campaigns.details': campaignsDetails,
  'canvas.list': canvasList,
  'canvas.details': canvasDetails,
  'segments.list': segmentsList,
  'segments.details': segmentsDetails,
  'messages.schedule.create': messagesScheduleCreate,
  'messages.schedule.update': messagesScheduleUpdate,
  'messages.schedule.delete': messagesScheduleDelete,
  'campaigns.trigger.schedule.create': campaignsTriggerScheduleCreate,
  'campaigns.trigger.schedule.update': campaignsTriggerScheduleUpdate,
  'campaigns.trigger.schedule.delete': campaignsTriggerScheduleDelete,
  'canvas.trigger.schedule.create': canvasTriggerScheduleCreate,
  'canvas.trigger.schedule.update': canvasTriggerScheduleUpdate,
  'canvas.trigger.schedule.delete': canvasTriggerScheduleDelete,
  'messages.scheduled_broadcasts': messagesScheduledBroadcasts,
  'email.hard_bounces': emailHardBounces,
  'email.unsubscribes': emailUnsubscribes,
  'email.status': emailStatus,
  'email.bounce.remove': emailBounceRemove,
  'email.spam.remove': emailSpamRemove,
  'email.blocklist': emailBlocklist,
  'sms.invalid_phone_numbers': smsInvalidPhoneNumbers,
  'sms.invalid_phone_numbers.remove': smsInvalidPhoneNumbersRemove,
  'kpi.dau.data_series': kpiDau,
  'kpi.mau.data_series': kpiMau,
  'kpi.new_users.data_series': kpiNewUsers,
  'kpi.uninstalls.data_series': kpiUninstalls,
  'sessions.data_series': sessionsDataSeries,
  'events.data_series': eventsDataSeries,
  'segments.data_series': segmentsDataSeries,
  'campaigns.data_series': campaignsDataSeries,
  'sends.data_series': sendsDataSeries,
  'canvas.data_series': canvasDataSeries,
  'canvas.data_summary': canvasDataSummary,
  'users.export.segment': usersExportSegment,
};
