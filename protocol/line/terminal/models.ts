import type { Channel, EraseMethod, LinkKind, StoreKind, StoreMedia } from '../../domain.js';

/**
 * The three hardware profiles the simulator can be. Vendor and model names are invented;
 * what matters is that the profiles differ where real estates differ: acceptance channels,
 * network links, battery, which stores exist, which erase methods the flash supports, and
 * how many key slots the secure element has.
 */
export type ModelName = 'countertop' | 'mobile' | 'unattended';
export const MODEL_NAMES: readonly ModelName[] = ['countertop', 'mobile', 'unattended'];

export interface StoreProfile {
  name: string;
  kind: StoreKind;
  /** Default size in bytes, before storeScale / storeSizes. */
  size: number;
  cardData: boolean;
  /** Reported in STORES; a store without one leaves the field out, as an older terminal would. */
  media?: StoreMedia;
}

export type KeyAlgorithm = 'tdes' | 'aes128';
export interface KeySlotProfile {
  type: string;
  algorithm: KeyAlgorithm;
  /** An empty slot reports kcv null from the start. */
  loaded: boolean;
}

export interface ModelProfile {
  name: ModelName;
  vendor: string;
  model: string;
  firmware: string;
  serialPrefix: string;
  channels: Channel[];
  links: LinkKind[];
  battery: boolean;
  erase: EraseMethod[];
  stores: StoreProfile[];
  keySlots: KeySlotProfile[];
}

const KiB = 1024;

// Two default sizes are deliberately not multiples of the 4 KiB generation block, so the
// tail-block path is exercised by every default job, not only by a dedicated test.
const PROFILES: Record<ModelName, ModelProfile> = {
  countertop: {
    name: 'countertop',
    vendor: 'Kestrel Payment Systems',
    model: 'KPS C420',
    firmware: 'C420-OS 4.12.3 (EMV L2 7.1.0)',
    serialPrefix: 'KC4',
    channels: ['contact', 'magstripe', 'nfc', 'qr'],
    links: ['ethernet'],
    battery: false,
    erase: ['crypto', 'overwrite3', 'overwrite1'],
    stores: [
      { name: 'journal', kind: 'journal', size: 256 * KiB, cardData: false, media: 'flash' },
      { name: 'batch', kind: 'batch', size: 24 * KiB, cardData: true, media: 'sram' },
      { name: 'saf', kind: 'saf', size: 20_000, cardData: true, media: 'flash' },
      { name: 'settlements', kind: 'settlements', size: 32 * KiB, cardData: false, media: 'flash' },
      { name: 'logs', kind: 'logs', size: 128 * KiB, cardData: false, media: 'flash' },
      { name: 'config', kind: 'config', size: 6_000, cardData: false, media: 'eeprom' },
    ],
    keySlots: [
      { type: 'TMK', algorithm: 'tdes', loaded: true },
      { type: 'TPK', algorithm: 'tdes', loaded: true },
      { type: 'TAK', algorithm: 'tdes', loaded: true },
      { type: 'IPEK', algorithm: 'tdes', loaded: true },
      { type: 'IPEK-AES', algorithm: 'aes128', loaded: true },
    ],
  },
  mobile: {
    name: 'mobile',
    vendor: 'Kestrel Payment Systems',
    model: 'KPS M230 Go',
    firmware: 'M230-OS 3.8.0 (EMV L2 7.0.4)',
    serialPrefix: 'KM2',
    channels: ['contact', 'nfc', 'qr'],
    links: ['wifi', 'cellular'],
    battery: true,
    erase: ['crypto', 'overwrite3', 'overwrite1'],
    stores: [
      { name: 'journal', kind: 'journal', size: 128 * KiB, cardData: false, media: 'flash' },
      { name: 'batch', kind: 'batch', size: 16 * KiB, cardData: true, media: 'sram' },
      { name: 'saf', kind: 'saf', size: 24 * KiB + 300, cardData: true, media: 'flash' },
      { name: 'logs', kind: 'logs', size: 64 * KiB, cardData: false, media: 'flash' },
      { name: 'config', kind: 'config', size: 5_000, cardData: false, media: 'eeprom' },
    ],
    keySlots: [
      { type: 'TMK', algorithm: 'tdes', loaded: true },
      { type: 'TPK', algorithm: 'tdes', loaded: true },
      { type: 'TAK', algorithm: 'tdes', loaded: true },
      { type: 'IPEK', algorithm: 'tdes', loaded: true },
    ],
  },
  unattended: {
    name: 'unattended',
    vendor: 'Kestrel Payment Systems',
    model: 'KPS U90 Reader',
    firmware: 'U90-FW 2.4.17 (CTLS L2 3.1)',
    serialPrefix: 'KU9',
    channels: ['nfc'],
    links: ['ethernet'],
    battery: false,
    // Older flash controller without per-store encryption: no crypto erase.
    erase: ['overwrite3', 'overwrite1'],
    stores: [
      { name: 'journal', kind: 'journal', size: 192 * KiB, cardData: false, media: 'flash' },
      { name: 'saf', kind: 'saf', size: 40 * KiB, cardData: true, media: 'flash' },
      { name: 'settlements', kind: 'settlements', size: 16 * KiB, cardData: false, media: 'flash' },
      { name: 'logs', kind: 'logs', size: 96 * KiB, cardData: false, media: 'flash' },
      // No media reported for config: an agent must cope with a store that does not say.
      { name: 'config', kind: 'config', size: 7_000, cardData: false },
    ],
    keySlots: [
      { type: 'TMK', algorithm: 'tdes', loaded: true },
      { type: 'TPK', algorithm: 'tdes', loaded: true },
      { type: 'TAK', algorithm: 'tdes', loaded: true },
      { type: 'TDK', algorithm: 'tdes', loaded: true },
      { type: 'IPEK-AES', algorithm: 'aes128', loaded: true },
      { type: 'SPARE', algorithm: 'aes128', loaded: false },
    ],
  },
};

export function modelProfile(name: ModelName): ModelProfile {
  return PROFILES[name];
}

export function isModelName(value: unknown): value is ModelName {
  return typeof value === 'string' && (MODEL_NAMES as readonly string[]).includes(value);
}
