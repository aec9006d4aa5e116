export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

const isLogLine = (value: Partial<LogLine> | null): value is LogLine => typeof value?.msg === 'string' && typeof value.level === 'string';

/** A process's pino output (JSON lines) as objects; anything else on stdout is left out. */
export function logLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      const parsed = JSON.parse(line) as Partial<LogLine> | null;
      return isLogLine(parsed) ? [parsed] : [];
    } catch {
      return [];
    }
  });
}
