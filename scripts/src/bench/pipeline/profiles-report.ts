import { type ProfileSummary, profilesIn, summarizeProfile } from '../cpu-profile';
import { formatTable, round } from '../table';
import { log, pct } from './output';
import type { Proc } from './system-procs';

export function reportProfiles(dir: string, procs: Proc[], window: { fromUs: number; toUs: number } | undefined): void {
  const files = profilesIn(dir);
  log('');
  log(`=== CPU profiles (inspector sampling profiler, ${dir}) — load window only ===`);
  for (const p of procs) {
    const file = files.get(p.pid);
    if (!file) {
      log(`${p.label}: no profile written (did it exit cleanly?)`);
      continue;
    }
    let s: ProfileSummary;
    try {
      s = summarizeProfile(file, window);
    } catch (err) {
      log(`${p.label}: unreadable profile ${file}: ${String(err)}`);
      continue;
    }
    const busy = s.totalMs - s.idleMs;
    log('');
    log(
      `${p.label} (pid ${p.pid}): not idle in ${round(busy / 1000, 2)} s of ${round(s.totalMs / 1000, 1)} s sampled` +
        (s.windowed ? '' : ' (WHOLE process life: the window did not match)') +
        ' (wall-clock samples: time starved of CPU lands on the frame that was running, often a system call)',
    );
    const share = (ms: number): string => pct((ms / Math.max(1e-9, busy)) * 100);
    log(formatTable(['code (self time)', 'ms', '% of not idle'], s.byPackage.slice(0, 10).map((x) => [x.name, round(x.ms, 0), share(x.ms)])));
    log(formatTable(['hottest functions (self time)', 'ms', '% of not idle'], s.byFunction.slice(0, 15).map((x) => [x.name.slice(0, 100), round(x.ms, 0), share(x.ms)])));
  }
}
