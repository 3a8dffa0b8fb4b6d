import type { ApduLink } from '../link/apdu-link.js';

/**
 * An ApduLink that shows every APDU to a listener as it crosses, in both directions, in the
 * order of the conversation: what `--record` writes (agent/transcript masks it first). Link
 * bytes (DLE framing, CRC, ACK/NAK) are not APDUs and are not shown.
 */
export type ApduTap = (dir: 'out' | 'in', apdu: Buffer) => void;

export function tapLink(link: ApduLink, tap: ApduTap): ApduLink {
  return {
    get kind() {
      return link.kind;
    },
    send: (apdu) => {
      tap('out', apdu);
      return link.send(apdu);
    },
    onApdu: (listener) =>
      link.onApdu((apdu) => {
        tap('in', apdu);
        listener(apdu);
      }),
    onClose: (listener) => link.onClose(listener),
    close: () => link.close(),
    get closed() {
      return link.closed;
    },
    get counters() {
      return link.counters;
    },
  };
}
