export * from './api-error';
export * from './error-handling';
export * from './json-body';
export * from './validate';
export * as schemas from './schemas';
export * from './route-table';
export * from './openapi';
export * from './load-shedder';
