import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { DEFAULT_SETTINGS } from '../../protocol/transport/port-spec.js';
import { createSimulator, registerSimulatedTerminal } from '../../protocol/transport/sim-registry.js';
import { createOrganisationPki, type OrganisationPki } from '../../wipe/pki/ca.js';
import { PASSPHRASE_ENV } from '../../wipe/pki/passphrase.js';
import { loadPrivateKey } from '../../wipe/pki/keys.js';
import { splitPem } from '../../wipe/certificate/sign.js';
import { verifyCertificate } from '../../wipe/verify/verify.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { createReporter, type Reporter } from '../reporter.js';
import { runDecommission } from '../workflow/runner.js';
import { summaryTable } from '../workflow/summary.js';

export interface DemoArgs {
  out?: string;
  model: string;
  seed: number;
  json: boolean;
}

/** The demo's authority code reaches the work order through the environment, never a file. */
const DEMO_AUTHORITY_ENV = 'POSDECOM_DEMO_AUTHORITY_CODE';

/** `posdecom demo`: a whole decommission of a simulated terminal, with a throw-away PKI, verified at the end. */
export async function runDemo(args: DemoArgs): Promise<number> {
  const started = Date.now();
  const human = args.json ? process.stderr : process.stdout;
  const reporter = createReporter({ stream: human, tty: Boolean(human.isTTY) });
  try {
    const dir = resolve(
      args.out ?? `posdecom-demo-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`,
    );
    if (existsSync(join(dir, 'journal.jsonl'))) {
      throw new PosdecomError(
        ErrorCode.WorkflowUnfinishedJob,
        `${dir} already holds a job; choose another --out`,
      );
    }
    const passphrase = process.env[PASSPHRASE_ENV] || 'demo';
    reporter.step(`throw-away organisation PKI in ${join(dir, 'pki')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const pki = await createOrganisationPki(join(dir, 'pki'), {
      passphrase,
      technicianName: 'Demo Technician',
      technicianEmail: 'technician@example.org',
      org: 'Demo Estate Ltd',
    });
    const { port, terminal, workOrder } = await simulatedTerminal(dir, args, reporter);
    const result = await runDecommission({
      port,
      settings: DEFAULT_SETTINGS,
      dir,
      workOrders: [workOrder as never],
      resume: false,
      dryRun: false,
      yes: true,
      allowUnsettled: false,
      recipientPath: pki.recipientCertPath,
      signer: {
        keyObject: await loadPrivateKey(pki.technicianKeyPath, passphrase),
        certPem: pki.technicianCertPem,
        chainPems: splitPem(await readFile(pki.chainPath, 'utf8')),
      },
      reconnectWaitMs: 10_000,
      reporter,
      confirm: async () => true,
    });
    await terminal.close();
    const verified = result.summary.certificate ? await verifyAgainstCa(dir, pki, reporter) : false;
    const exitCode =
      result.exitCode !== ExitCode.Success
        ? result.exitCode
        : verified
          ? ExitCode.Success
          : ExitCode.VerifyFailed;
    if (args.json) {
      process.stdout.write(
        JSON.stringify({
          ...result.summary,
          certificateVerified: verified,
          exitCode,
          demoSeconds: (Date.now() - started) / 1000,
        }) + '\n',
      );
    } else {
      human.write(summaryTable(result.summary));
      human.write(nextSteps(dir, pki, verified));
    }
    return exitCode;
  } catch (err) {
    process.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}

/**
 * A simulated terminal on a sim: port, and the work order that authorizes its decommission
 * (written to the demo directory, its authority code only in the environment).
 */
async function simulatedTerminal(dir: string, args: DemoArgs, reporter: Reporter) {
  const port = `sim:${args.model}?seed=${args.seed}`;
  const terminal = await createSimulator({ model: args.model, seed: args.seed });
  registerSimulatedTerminal(port, terminal);
  process.env[DEMO_AUTHORITY_ENV] = terminal.authorityCode;
  const workOrder = {
    id: `WO-DEMO-${args.seed}`,
    terminal: { serial: terminal.identity.serial, model: terminal.identity.model },
    reason: 'end-of-lease',
    owner: { merchant: 'Demo Café', location: '1 Example Street, Springfield' },
    technician: {
      name: 'Demo Technician',
      organisation: 'Demo Estate Ltd',
      contact: 'technician@example.org',
    },
    destination: 'return-to-provider',
    authority: { reference: `ACQ-AUTH-${terminal.identity.serial}`, codeEnv: DEMO_AUTHORITY_ENV },
  };
  const workOrderPath = join(dir, 'work-order.json');
  await writeFile(workOrderPath, JSON.stringify(workOrder, null, 2) + '\n', { mode: 0o600 });
  reporter.step(`simulated ${terminal.identity.vendor} ${terminal.identity.model} on ${port}`);
  return { port, terminal, workOrder };
}

/** The demo checks its own certificate the way anyone holding the CA certificate would. */
async function verifyAgainstCa(dir: string, pki: OrganisationPki, reporter: Reporter): Promise<boolean> {
  reporter.step('verifying the certificate against the CA');
  const report = await verifyCertificate(
    await readFile(join(dir, 'certificate.json')),
    await readFile(join(dir, 'certificate.p7s')),
    pki.caCertPem,
    { backupDir: dir, jobDir: dir },
  );
  for (const c of report.checks)
    reporter.info(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
  return report.ok;
}

/** What the technician can try next by hand: check the signature with openssl, restore the backup. */
function nextSteps(dir: string, pki: OrganisationPki, verified: boolean): string {
  return [
    `  certificate verified: ${verified ? 'yes' : 'NO'}`,
    `  check it yourself:   openssl cms -verify -binary -inform DER -in ${dir}/certificate.p7s -content ${dir}/certificate.json -CAfile ${pki.caCertPath} -out /dev/null`,
    `  restore the backup:  POSDECOM_RECIPIENT_PASSPHRASE=... posdecom backup decrypt --in ${dir} --key ${pki.recipientKeyPath} --out ${dir}/restored`,
    '',
  ].join('\n');
}
