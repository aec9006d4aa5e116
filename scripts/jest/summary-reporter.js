// Prints the store adapters the contract suite really ran on, and a plain closing line CI can read.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const adapters = new Map();
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        const m = /store contract \[(\w+)\]/.exec(t.fullName);
        if (!m) continue;
        const a = adapters.get(m[1]) ?? { passed: 0, failed: 0, skipped: 0 };
        if (t.status === 'passed') a.passed++;
        else if (t.status === 'failed') a.failed++;
        else a.skipped++;
        adapters.set(m[1], a);
      }
    }
    const lines = ['', '================ STORE CONTRACT SUITE ================'];
    for (const name of ['postgres', 'mongo']) {
      const a = adapters.get(name);
      if (!a || a.passed + a.failed === 0) lines.push(`  ${name.padEnd(9)} NOT RUN${name === 'mongo' ? ' (set MONGO_URL to run it)' : ''}`);
      else lines.push(`  ${name.padEnd(9)} RAN: ${a.passed} passed, ${a.failed} failed`);
    }
    lines.push('======================================================');
    const { numPassedTests: p, numFailedTests: f, numPendingTests: s, numTodoTests: t } = results;
    lines.push(`tests: ${p} passed, ${f} failed, ${s + t} skipped`);
    process.stdout.write(lines.join('\n') + '\n');
  }
}
module.exports = SummaryReporter;
