import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';

/** The environment as handed in by `main.ts` (usually `process.env`). Nothing in this package reads process.env. */
export type Env = Readonly<Record<string, string | undefined>>;

export type LoadedConfig<S extends z.ZodType> = Readonly<z.output<S>>;

/**
 * Parses `env` with `schema` once: empty strings count as unset (so `FOO=` in a .env file means "default"),
 * unknown variables are ignored, and the result is frozen. Throws `ConfigError` naming every bad variable.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env): LoadedConfig<S> {
  const input: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') input[name] = value;
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues: ConfigIssue[] = [];
    for (const issue of result.error.issues) {
      const variable = issue.path.length > 0 ? String(issue.path[0]) : '(environment)';
      if (!issues.some((i) => i.variable === variable)) issues.push({ variable, message: issue.message });
    }
    throw new ConfigError(issues);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
