/** Public API of the platform layer: everything that talks REST to Genesys Cloud. */

export { missingPermissions, toGenesysApiError } from './error-mapping.js';
export {
  collectAll,
  type PagedListing,
  type PageFetcher,
  type PaginateOptions,
  paginate,
} from './paginate.js';
export {
  type AnalyticsApi,
  type ConversationsApi,
  createPlatformClient,
  type ExternalContactsApi,
  type NotificationsApi,
  type OrganizationApi,
  type PlatformClient,
  type PlatformClientOptions,
  type PlatformClientStats,
  type PlatformRequest,
  type PlatformResponse,
  type QueryValue,
  type RoutingApi,
  type UsersApi,
} from './platform-client.js';
export {
  type LoadPlatformSettingsOptions,
  loadPlatformSettings,
  type PlatformSettings,
  type SettingSource,
} from './platform-settings.js';
export {
  type AcquireOptions,
  BUDGET_PURPOSES,
  type BudgetPurpose,
  type BudgetSlot,
  type BudgetState,
  ClientClosedError,
  DEFAULT_SHARES,
  type GrantListener,
  type PurposeState,
  RateBudget,
  type RateBudgetOptions,
} from './rate-budget.js';
export { knownRegions, type ResolvedRegion, resolveRegion } from './region.js';
export { DEFAULT_RETRY_OPTIONS, IDEMPOTENT_POSTS, isIdempotent, type RetryOptions } from './retry-policy.js';
export { type Models, SDK_REGION_HOSTS, type SdkApiClient, sdk } from './sdk.js';
export { IDEMPOTENT_HEADER, PURPOSE_HEADER } from './sdk-http-client.js';
export { ClientCredentialsTokenProvider, type TokenInfo, type TokenProviderStats } from './token-provider.js';
