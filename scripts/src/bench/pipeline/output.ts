/** The bench's console output: one line at a time, and the units it prints. */
export const log = (line = ''): void => void process.stdout.write(line + '\n');
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const pct = (n: number): string => `${n.toFixed(0)}%`;
