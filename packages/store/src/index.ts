export * from './store';
export * from './store-error';
