/** Redis INFO through redis-cli (no client library needed): fields, and per-command call/time counters. */
import { spawnSync } from 'node:child_process';

export function redisInfo(redisUrl: string, section: string): Record<string, string> {
  const out = spawnSync('redis-cli', ['-u', redisUrl, 'info', section], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`redis-cli info ${section} failed: ${out.stderr}`);
  const fields: Record<string, string> = {};
  for (const line of out.stdout.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

export interface CommandStat {
  calls: number;
  usec: number;
}

/** `INFO commandstats`: cmdstat_evalsha:calls=1,usec=2,... → { evalsha: { calls, usec } } */
export function commandStats(redisUrl: string): Map<string, CommandStat> {
  const stats = new Map<string, CommandStat>();
  for (const [key, value] of Object.entries(redisInfo(redisUrl, 'commandstats'))) {
    if (!key.startsWith('cmdstat_')) continue;
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    const usec = Number(/usec=(\d+)/.exec(value)?.[1] ?? 0);
    stats.set(key.slice('cmdstat_'.length), { calls, usec });
  }
  return stats;
}

export function commandStatsDelta(before: Map<string, CommandStat>, after: Map<string, CommandStat>): Array<{ command: string } & CommandStat> {
  return [...after]
    .map(([command, a]) => ({ command, calls: a.calls - (before.get(command)?.calls ?? 0), usec: a.usec - (before.get(command)?.usec ?? 0) }))
    .filter((d) => d.calls > 0)
    .sort((x, y) => y.usec - x.usec);
}
