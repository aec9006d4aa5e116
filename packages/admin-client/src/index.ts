export { AdminClient, type AdminClientOptions } from './admin-client';
export { AdminApiError, AdminJobCancelledError, AdminJobFailedError, AdminUnreachableError } from './admin-api-error';
export * from './views';
