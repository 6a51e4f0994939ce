/**
 * Limits of the usage commits an agent run carries (see `quotaMiddleware`): with no quota to hold, the model calls
 * of a run go to the ledger together. A module of its own because workflow code needs only these numbers, not the
 * ledger's message definitions and checks, which keeps them off a run's module graph.
 */

/** Most model calls whose commits a run carries before one of its calls must send them; what a terminated run loses. */
export const maxCarriedCommits = 8;
/** A run's first model call this long (workflow time, ms) after the oldest commit it carries sends them all. */
export const maxCarriedCommitAgeMs = 60_000;
