import type { DriverCapabilities, StepMeasures } from '../driver.js';
import { hasSafQueue } from './messages.js';
import type { Capabilities } from './messages.js';

/** What confirms each step on our line protocol: every one is measured by the terminal. */
export const LINE_MEASURES: StepMeasures = {
  identify: 'IDENTIFY',
  authorize: 'AUTH (HMAC-SHA256 challenge-response)',
  'disable-acceptance': 'STATUS after CHANNEL',
  'forward-saf': 'STATUS after FORWARD (protocol 1.0 reports no queue: UNKNOWN)',
  settle: 'STATUS after SETTLE',
  'network-down': 'STATUS after NETWORK',
  backup: "the terminal's SHA-256 from STORES",
  erase: 'ERASE_STATUS, VERIFY_ERASE, STORES and a sampled read-back',
  'key-zeroization': 'KEYS after ZEROIZE',
  unbind: 'IDENTIFY+STATUS',
  finalize: 'STATUS, STORES and KEYS after FINALIZE',
};

/** What a line terminal can do, as its HELLO announced it (SPEC.md s.5.1) in the version agreed. */
export function lineCapabilities(caps: Capabilities, proto: string): DriverCapabilities {
  return {
    authorize: true,
    channels: [...caps.channels],
    settle: true,
    forwardSaf: hasSafQueue(proto),
    links: [...caps.links],
    readStores: true,
    stores: [...caps.stores],
    erase: [...caps.erase],
    terminalEraseVerify: true,
    keyInventory: caps.keySlots > 0,
    keySlots: caps.keySlots,
    zeroize: caps.keySlots > 0,
    unbind: true,
    finalize: true,
    eraseBy: 'erase',
    measures: LINE_MEASURES,
    storeDigests: true,
    authorizeToRead: false,
    finalizeKind: 'decommission',
  };
}
