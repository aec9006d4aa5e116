export * from './outcomes';
export * from './code-state';
export * from './campaign';
export * from './campaign-settings';
export * from './code-spec';
export * from './code-generator';
export * from './attempt';
export * from './campaign-id';
