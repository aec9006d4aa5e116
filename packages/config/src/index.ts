export { ConfigError, type ConfigIssue } from './config-error';
export { loadConfig, type Env, type LoadedConfig } from './load-config';
export { ENV_VARS, LOG_LEVELS, NODE_ENVS, STORES, type EnvVarName } from './env-vars';
export { parseTrustProxy, type TrustProxy } from './trust-proxy';
export { intakeConfigSchema, loadIntakeConfig, type IntakeConfig } from './intake-config';
export { loadWorkerConfig, workerConfigSchema, type WorkerConfig } from './worker-config';
export { adminConfigSchema, loadAdminConfig, type AdminConfig } from './admin-config';
export { loadSupervisorConfig, supervisorConfigSchema, type SupervisorConfig } from './supervisor-config';
export { loadStoreConfig, storeConfigSchema, type StoreConfig } from './store-config';
