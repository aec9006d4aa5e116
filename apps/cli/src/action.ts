import type { Command } from 'commander';
import { contextFor, type CommandContext, type ContextSource } from './context';

/** A command body: positional arguments, its own options, and the context built from the global ones. */
export type CommandBody<O> = (ctx: CommandContext, args: string[], opts: O) => Promise<void>;

export type Act = <O>(body: CommandBody<O>) => (...all: unknown[]) => Promise<void>;

/** Adapts commander's `(...args, opts, command)` to a command body. */
export function actionFor(source: ContextSource): Act {
  return <O>(body: CommandBody<O>) =>
    async (...all: unknown[]) => {
      const command = all[all.length - 1] as Command;
      const opts = all[all.length - 2] as O;
      const args = all.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : [a as string]));
      await body(contextFor(command, source), args, opts);
    };
}
