import fc from 'fast-check';

/**
 * Property tests explore fresh inputs on every developer run; under CI the seed is pinned, so a
 * landing never hinges on the luck of a draw. POSDECOM_FC_SEED replays any seed (fast-check
 * prints the seed of a failure).
 */
const seed = process.env.POSDECOM_FC_SEED ?? (process.env.CI ? '20261121' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
