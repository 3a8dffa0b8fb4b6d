/**
 * The simulated ZVT terminal. Code outside this directory imports from here.
 */
export { SimulatedZvtTerminal, type ZvtSnapshot, type ZvtWorkOrderTerminal } from './terminal.js';
export type { SimZvtOptions } from './options.js';
export { parseZvtFaults, type ZvtFaultSpec } from './faults.js';
export type { FileKind, FileSpec } from './files.js';
