export * from './store';
export * from './store-error';
export * from './store-setup-error';
export * from './store-closed-error';
export * from './faults';
export * from './audit-cursor';
export * from './customer-ids';
export * from './refusal';
