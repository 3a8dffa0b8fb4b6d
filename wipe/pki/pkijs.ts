import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';

/**
 * pkijs does its cryptography through WebCrypto; Node's (OpenSSL underneath) is installed as
 * its engine once, here, instead of relying on pkijs's guess at a global. Every module that uses
 * pkijs (the verifier, the CRL) imports it through this one, so the engine is set before use.
 */
type WebCrypto = ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'];
pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto as unknown as WebCrypto }));

export { pkijs };
