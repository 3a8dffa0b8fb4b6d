import type { DriverCapabilities } from '../../protocol/driver.js';
import type { Inventory } from './context.js';

/**
 * The inventory checked against what the terminal announced before anyone asked (HELLO): a
 * store it advertised that STORES leaves out would never be backed up, so never erased, and
 * the job would not know; a key slot it announced that KEYS leaves out could never be shown
 * empty. Each is a discrepancy that stops the job before its first change (store-list.ts).
 *
 * HELLO's store list may name stores or their kinds (SPEC.md s.5.1 leaves it open), so an
 * advertised entry is accounted for by a store of that name or that kind.
 */
export function inventoryDiscrepancies(inv: Inventory, caps: DriverCapabilities): string[] {
  const found: string[] = [];
  for (const advertised of caps.stores) {
    if (!inv.stores.some((s) => s.name === advertised || s.kind === advertised)) {
      found.push(`HELLO advertised the store ${advertised}, but STORES does not list it`);
    }
  }
  if (caps.keyInventory) {
    const slots = inv.keys.map((k) => k.slot);
    const repeated = slots.filter((s, i) => slots.indexOf(s) !== i);
    if (repeated.length > 0) found.push(`KEYS lists key slot ${repeated[0]} more than once`);
    if (slots.length < caps.keySlots) {
      found.push(`HELLO announced ${caps.keySlots} key slots, but KEYS lists ${slots.length}`);
    }
  }
  return found;
}

/** Stores STORES lists that HELLO did not advertise: backed up and erased like the rest, noted. */
export function unadvertisedStores(inv: Inventory, caps: DriverCapabilities): string[] {
  if (caps.stores.length === 0) return [];
  return inv.stores
    .filter((s) => !caps.stores.includes(s.name) && !caps.stores.includes(s.kind))
    .map((s) => s.name);
}
