export { MAX_QUICK_RESTARTS, ProcessGroup, type ChildSpec } from './process-group';
export { nextRestart, STABLE_AFTER_MS, type RestartDecision } from './restart-rule';
export { EXIT_NOT_RESTARTABLE, EXIT_UNAVAILABLE, EXIT_UNEXPECTED, exitOnStartupFailure, isNotRestartable, isUnavailable, logStartupFailure, startupFailureOf, type StartupFailureKind } from './startup-failure';
