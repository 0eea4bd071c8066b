/**
 * The words the server uses about clients joining, in one place: whom it waits for (said by `fsllm server`
 * when it starts listening, and repeated by the waiter while clients are still missing) and what happens at
 * the join deadline. Wording only; when to say it is the server's and the waiter's business.
 */

/** "client 3" or "clients 1, 2". */
export function clientList(ids: readonly number[]): string {
  return `${ids.length === 1 ? 'client' : 'clients'} ${ids.join(', ')}`;
}

/** "waiting for clients 2, 3 to join", with "(N s so far)" once some time has passed. */
export function waitingToJoin(ids: readonly number[], waitedMs = 0): string {
  const sofar = waitedMs > 0 ? ` (${Math.round(waitedMs / 1000)} s so far)` : '';
  return `waiting for ${clientList(ids)} to join${sofar}`;
}

/** What the join deadline allowed, as both outcomes say it: "within 30 s (federate.deadlineSeconds)". */
function within(deadlineMs: number): string {
  return `within ${deadlineMs / 1000} s (federate.deadlineSeconds)`;
}

/** The warning when enough clients (at least `needed`) joined by the deadline and the run starts without the others. */
export function startingWithout(missing: readonly number[], joined: readonly number[], needed: number, deadlineMs: number): string {
  return `${clientList(missing)} did not join ${within(deadlineMs)}; starting with ${clientList(joined)}, enough for federate.minClients ${needed}; ` +
    `${missing.length === 1 ? 'it' : 'they'} may still join later`;
}

/** The error message when too few clients joined by the deadline for the run to start. */
export function tooFewJoined(joined: number, total: number, needed: number, missing: readonly number[], deadlineMs: number): string {
  return `${joined} of ${total} clients joined ${within(deadlineMs)}, and the run needs ${needed} (missing: ${clientList(missing)}); ` +
    'start the missing clients, raise federate.deadlineSeconds, or lower federate.minClients';
}
