/**
 * What a simulated terminal can tell a test about itself afterwards, in words that belong to no
 * protocol: what was read of each store (a backup) before and after its erase, what was erased
 * and how, which keys are gone, which requests arrived. Ground truth, not the terminal's claims:
 * under the erase-lie fault a store says `erased` while `lied` tells what really happened.
 */
export interface SimulatorSnapshot {
  identity: {
    vendor: string;
    model: string;
    serial: string;
    tid: string | null;
    mid: string | null;
    state: string;
  };
  bound: boolean;
  decommissioned: boolean;
  /** Acceptance channels: true while a channel still accepts cards. */
  channels: Record<string, boolean>;
  /** Network links: true while up. */
  links: Record<string, boolean>;
  batch: { open: boolean; count: number };
  /** Payments queued offline (store-and-forward) and not yet forwarded to the host. */
  saf: { queued: number };
  stores: StoreSnapshot[];
  keys: KeySlotSnapshot[];
  /** Requests the terminal carried out, by type (a duplicate answered from its cache not counted). */
  requests: Record<string, number>;
  frames: { received: number; sent: number; duplicates: number; bad: number };
}

export interface StoreSnapshot {
  name: string;
  kind: string;
  size: number;
  cardData: boolean;
  /** Distinct bytes of the original content sent in whole READ replies (what a backup took). */
  readBytes: number;
  /** Every byte of the original content was sent at least once. */
  readWhole: boolean;
  /** Distinct bytes sent after the erase (what a read-back verification looked at). */
  readBackBytes: number;
  erased: boolean;
  eraseMethod: string | null;
  /** Erases the store actually began (a resent request for the same operation not counted). */
  eraseCount: number;
  /** The terminal reported an erase it did not do (the erase-lie fault). */
  lied: boolean;
}

export interface KeySlotSnapshot {
  slot: number;
  type: string;
  /** The key check value the terminal reports; null once the slot is empty. */
  kcv: string | null;
  /** The slot held a key that was zeroized. */
  zeroized: boolean;
}
