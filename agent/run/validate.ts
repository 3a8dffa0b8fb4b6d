import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { dirname } from 'node:path';
import { ErrorCode, PosdecomError, isPosdecomError } from '../../protocol/errors.js';
import { splitPem, type Signer } from '../../wipe/certificate/sign.js';
import { loadPrivateKey } from '../../wipe/pki/keys.js';
import { getPassphrase } from '../../wipe/pki/passphrase.js';
import { writeValidation } from '../../wipe/validation/create.js';
import type { Outcome } from '../../wipe/validation/record.js';
import { verifyCertificate } from '../../wipe/verify/verify.js';
import { describeError } from '../errors-text.js';
import { ExitCode } from '../exit-codes.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { defaultSignaturePath } from './verify.js';

export interface ValidateArgs {
  certificate: string;
  'sign-key': string;
  'sign-cert': string;
  chain: string;
  outcome: Outcome;
  note: string;
  json: boolean;
}

export interface ValidateIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
}

/**
 * `posdecom validate`: a second person confirms (or does not) a certificate's results. An
 * `accepted` validation is only made for a certificate that verifies against the organisation
 * CA at the end of --chain (exit 10 otherwise, nothing written); `not-accepted` may be recorded
 * for any certificate. Inputs that cannot be used exit 2.
 */
export async function runValidate(args: ValidateArgs, io: ValidateIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  try {
    const signer = await loadValidator(args);
    const caPem = trustAnchor(signer.chainPems, args.chain);
    const json = await read(args.certificate, 'certificate');
    const p7s = await read(defaultSignaturePath(args.certificate), 'signature');
    const report = await verifyCertificate(json, p7s, caPem, { jobDir: dirname(args.certificate) });
    const failed = report.checks.filter((c) => !c.ok && c.name !== 'validation');
    if (args.outcome === 'accepted' && failed.length > 0) {
      err.write(
        `posdecom: not validated: the certificate does not verify (${failed.map((c) => c.name).join(', ')}); ` +
          'run posdecom verify for details\n',
      );
      return ExitCode.VerifyFailed;
    }
    const { record, files } = await writeValidation(args.certificate, signer, {
      outcome: args.outcome,
      note: args.note,
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
    });
    if (args.json) out.write(`${JSON.stringify({ ok: true, validation: record, files })}\n`);
    else {
      for (const f of files) out.write(`wrote ${f}\n`);
      out.write(`${record.outcome} by ${record.validator.name} at ${record.validatedAt}\n`);
    }
    return ExitCode.Success;
  } catch (e) {
    if (
      !isPosdecomError(e) ||
      ![ErrorCode.UsageBadFile, ErrorCode.UsageInvalid, ErrorCode.KeyUnusable].includes(e.code)
    )
      throw e;
    err.write(`posdecom: ${describeError(e)}\n`);
    return ExitCode.Usage;
  }
}

async function loadValidator(args: ValidateArgs): Promise<Signer> {
  const certPem = (await read(args['sign-cert'], 'validator certificate')).toString('utf8');
  const chainPems = splitPem((await read(args.chain, 'certificate chain')).toString('utf8'));
  if (chainPems.length === 0)
    throw new PosdecomError(ErrorCode.UsageBadFile, `${args.chain} holds no certificate`);
  await read(args['sign-key'], 'validator key');
  const passphrase = await getPassphrase('validator signing key', { role: 'sign' });
  return { keyObject: await loadPrivateKey(args['sign-key'], passphrase), certPem, chainPems };
}

/** The organisation CA: the self-signed certificate that ends the validator's chain. */
function trustAnchor(chainPems: string[], path: string): string {
  const root = chainPems.find((pem) => {
    try {
      const x = new X509Certificate(pem);
      return x.checkIssued(x) && x.verify(x.publicKey);
    } catch {
      return false;
    }
  });
  if (!root) throw new PosdecomError(ErrorCode.UsageBadFile, `${path} does not end at a CA certificate`);
  return root;
}

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PosdecomError(
      ErrorCode.UsageBadFile,
      `cannot read the ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
    );
  }
}
