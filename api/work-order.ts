/**
 * The work order as the library takes it: the same fields as the JSON file of `--work-order`
 * (README: The work order), checked by the same rules.
 */
export interface WorkOrder {
  id: string;
  terminal: { serial: string; model?: string; tid?: string; mid?: string; assetTag?: string };
  reason: 'business-change' | 'device-fault-or-replacement' | 'end-of-lease' | 'compliance';
  owner: { merchant: string; location: string };
  technician: { name: string; organisation: string; contact: string; title?: string };
  destination: 'return-to-provider' | 'internal-reuse' | 'recycling' | 'destruction';
  /** `code` in clear, or better `codeEnv`: the name of an environment variable holding it. */
  authority: { reference: string; code?: string; codeEnv?: string };
}
