/**
 * `posdecom`: the library entry point for tools that drive jobs from code (README: Use
 * posdecom from code). The same jobs as the CLI, the same options (camel-cased flags), the same
 * exit codes in the results; the simulated terminal is in `posdecom/simulator`. Public and
 * stable is what this file exports, nothing else in the package (api/README.md).
 */
export { runDecommission, type DecommissionOptions, type DecommissionResult } from './decommission.js';
export { verifyCertificate, type VerifyOptions, type VerifyResult } from './verify.js';
export { PosdecomFailure } from './failure.js';
export type { WorkOrder } from './work-order.js';
