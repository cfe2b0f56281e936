/** Waits `ms` milliseconds; the adapter's one way to wait before a retry, so tests can pass a fake. */
export type Sleep = (ms: number) => Promise<void>;

/** Waits on a real timer: the default of every wait in the Graph adapter. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
