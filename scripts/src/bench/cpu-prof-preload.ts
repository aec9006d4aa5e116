/**
 * Preloaded with `NODE_OPTIONS=--require .../cpu-prof-preload.js` (Node refuses --cpu-prof in NODE_OPTIONS):
 * when DROPGATE_CPU_PROF_DIR is set, profiles the whole process with the inspector's sampling profiler and writes
 * `CPU.0.0.<pid>.0.1.cpuprofile` there when the process exits (process.exit included). Used by bench-pipeline --profile.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.DROPGATE_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: Number(process.env.DROPGATE_CPU_PROF_INTERVAL_US ?? 1000) });
  session.post('Profiler.start');
  process.once('exit', () => {
    // An in-thread inspector session answers synchronously, so this completes before the process is gone.
    session.post('Profiler.stop', (err, result) => {
      if (err || !result) return;
      try {
        writeFileSync(path.join(dir, `CPU.0.0.${process.pid}.0.1.cpuprofile`), JSON.stringify(result.profile));
      } catch {
        // nowhere to report from an exiting process
      }
    });
  });
}
