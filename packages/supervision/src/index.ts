export { MAX_QUICK_RESTARTS, ProcessGroup, type ChildSpec } from './process-group';
export { nextRestart, STABLE_AFTER_MS, type RestartDecision } from './restart-rule';
