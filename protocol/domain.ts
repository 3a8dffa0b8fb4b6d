/**
 * What any terminal is and holds, in words that belong to no protocol: the decommission
 * workflow, the backup and the certificate speak these, and each protocol driver translates
 * its own messages into them (our line protocol's catalogue uses them as they are; ZVT maps).
 */

export const CHANNELS = ['contact', 'magstripe', 'nfc', 'qr'] as const;
export type Channel = (typeof CHANNELS)[number];

export const LINK_KINDS = ['ethernet', 'wifi', 'cellular', 'bluetooth'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

export const STORE_KINDS = ['journal', 'batch', 'saf', 'settlements', 'logs', 'config'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** Strongest first; the agent's default policy picks the first the terminal offers. */
export const ERASE_METHODS = ['crypto', 'overwrite3', 'overwrite1'] as const;
export type EraseMethod = (typeof ERASE_METHODS)[number];

/** What a store is kept on, as the terminal reports it (NIST SP 800-88 rev.1 Table A names the kinds). */
export const STORE_MEDIA = ['flash', 'eeprom', 'sram'] as const;
export type StoreMedia = (typeof STORE_MEDIA)[number];

export interface Identity {
  vendor: string;
  model: string;
  serial: string;
  firmware: string;
  tid: string | null;
  mid: string | null;
  acquirer: string | null;
  state: 'active' | 'decommissioned';
  /** The terminal says it is a simulation, not a device (absent: it does not say so). */
  simulated?: true;
}

export interface Money {
  currency: string;
  /** Minor units (cents), as an integer, so no float ever touches money. */
  minor: number;
}

export interface BatchStatus {
  open: boolean;
  count: number;
  totals: Money[];
}

/**
 * The store-and-forward (SAF) queue: payments taken while the terminal was offline. They are
 * money only once forwarded to the host, so a queue that is not empty must be forwarded before
 * anything is settled, unbound or erased.
 */
export interface SafQueue {
  count: number;
  /** Per currency, minor units. */
  totals: Money[];
}

export interface Status {
  channels: Record<string, 'on' | 'off'>;
  links: Record<string, 'up' | 'down'>;
  batch: BatchStatus;
  /** Absent when the terminal cannot report its SAF queue (e.g. line protocol 1.0). */
  saf?: SafQueue;
  battery: { percent: number; charging: boolean } | null;
  tamper: boolean;
  bound: boolean;
  authorized: boolean;
  state: 'active' | 'decommissioned';
}

export interface StoreInfo {
  name: string;
  kind: StoreKind;
  size: number;
  records: number;
  /** The terminal's digest of the store; '' when the protocol reports none (ZVT). */
  sha256: string;
  cardData: boolean;
  erased: boolean;
  /** The medium the store is kept on; absent when the terminal does not report it. */
  media?: StoreMedia;
  /**
   * False when the terminal refuses to give the store out (ZVT `84 83`: no file access): it can
   * be neither backed up nor erased by the agent, and both stay UNKNOWN. Absent: readable.
   */
  readable?: false;
}

export type EraseState = 'running' | 'done' | 'failed';

export interface KeySlot {
  slot: number;
  type: string;
  /** Key check value: 6 hex digits, or null for an empty slot. Never key material. */
  kcv: string | null;
}
