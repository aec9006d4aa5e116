/** Waits `ms` plus up to 50% random jitter, so pollers that woke together do not retry in lockstep. */
export function sleepWithJitter(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms + Math.floor(Math.random() * ms * 0.5)));
}
