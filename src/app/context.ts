import type { AnalyticsService } from '../analytics/service.js';
import type { RateBudgetService } from '../budget/rateBudget.js';
import type { CatalogService } from '../catalog/service.js';
import type { ScheduleService } from '../messaging/schedule.js';
import type { HygieneService } from '../hygiene/service.js';
import type { MessagingService } from '../messaging/service.js';
import type { SegmentExportService } from '../segmentExports/service.js';
import type { Principal } from '../security/keyStore.js';
import type { UsersService } from '../users/service.js';

/** What every resolver receives: per-request services and the request's deadline. */
export interface GatewayContext {
  requestId: string;
  /** The authenticated caller (anonymous with every permission when no keys are configured). */
  principal: Principal;
  /** Epoch ms: budget waits and Braze calls for this request end by then. */
  deadlineMs: number;
  users: UsersService;
  budget: RateBudgetService;
  catalog: CatalogService;
  messaging: MessagingService;
  schedules: ScheduleService;
  hygiene: HygieneService;
  analytics: AnalyticsService;
  segmentExports: SegmentExportService;
}
