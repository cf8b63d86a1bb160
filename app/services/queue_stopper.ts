/*
| How the jobs provider stops the queue without importing it: the queue
| module (pg-boss and all it loads) registers its stop function here when it
| is first imported, so a process that never queued a job (`node ace list`,
| `orders:show`) does not load pg-boss just to stop nothing at exit.
*/
let stop: (() => Promise<void>) | null = null

export function registerQueueStopper(stopper: () => Promise<void>) {
  stop = stopper
}

export async function stopQueueIfLoaded() {
  await stop?.()
}
