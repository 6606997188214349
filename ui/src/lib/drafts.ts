// What an agent has ticked on a request's checklist, kept in memory for the console's run: leaving
// a request for the queue and opening it again keeps the ticks. A decision taken clears them.
// Nothing here is sent anywhere or written to disk.

const ticksByRequest = new Map<number, Record<string, boolean>>();

export function savedTicks(requestId: number): Record<string, boolean> {
  return { ...(ticksByRequest.get(requestId) ?? {}) };
}

export function saveTicks(requestId: number, ticked: Record<string, boolean>): void {
  ticksByRequest.set(requestId, { ...ticked });
}

export function forgetTicks(requestId: number): void {
  ticksByRequest.delete(requestId);
}
