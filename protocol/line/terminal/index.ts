/**
 * The simulated terminal: the protocol's reference peer (SPEC.md), for rehearsing a whole
 * decommission job in CI and at an integrator's. Everything else in this directory is its
 * implementation; code outside it imports from here.
 */
export { SimulatedTerminal, type GroundTruth } from './terminal.js';
export type { SimOptions } from './options.js';
export { MODEL_NAMES, type ModelName } from './models.js';
export { parseFaults, type FaultSpec, type DisconnectAt, type FaultPosition } from './faults.js';
export { authorityCodeFor } from './identity.js';
export { createLinkPair, type ByteEndpoint } from '../../transport/memory-link.js';
