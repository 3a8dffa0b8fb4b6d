import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { PortSettings } from '../../protocol/transport/port-spec.js';
import { loadPrivateKey } from '../../wipe/pki/keys.js';
import { createOrganisationPki } from '../../wipe/pki/ca.js';
import { splitPem, type Signer } from '../../wipe/certificate/sign.js';
import type { CommandIo } from '../command.js';
import type { BackupArgs } from '../run/backup.js';
import type { IdentifyArgs } from '../run/identify.js';
import { exitCodeFor } from '../exit-codes.js';
import type { PortArgs } from '../options.js';
import { sessionFromHeader } from './session-limits.js';
import type { Reporter } from '../reporter.js';
import type { RecordedWorkOrder, TranscriptHeader } from '../transcript/format.js';
import type { WorkOrder } from '../work-order.js';
import type { StepName } from '../../wipe/certificate/model.js';

/**
 * Runs a recorded command again, in-process, with the agent's real code: the same command,
 * options and port settings, against the replay port. What the recording cannot hold is made
 * up: a throw-away PKI for encrypting the backup and signing the certificate, and an authority
 * code (the MAC it keys is normalised away, and the terminal's answer is the recorded one).
 */
export interface ReplayPki {
  recipientCertPath: string;
  signer: Signer;
}

export interface ReplayEnv {
  dir: string;
  pki: ReplayPki;
  io: CommandIo;
  reporter: Reporter;
}

export const REPLAY_AUTHORITY_CODE = 'replay-authority-code';

export async function createReplayPki(dir: string): Promise<ReplayPki> {
  const passphrase = randomBytes(18).toString('base64');
  // Few KDF rounds: the keys are thrown away with the replay.
  const pki = await createOrganisationPki(dir, {
    passphrase,
    technicianName: 'Replay Technician',
    technicianEmail: 'replay@example.org',
    org: 'posdecom replay',
    iterations: 1000,
  });
  return {
    recipientCertPath: pki.recipientCertPath,
    signer: {
      keyObject: await loadPrivateKey(pki.technicianKeyPath, passphrase),
      certPem: pki.technicianCertPem,
      chainPems: splitPem(await readFile(pki.chainPath, 'utf8')),
    },
  };
}

/** The work order as recorded, with what was left out (people, the code) filled with stand-ins. */
function workOrderFrom(w: RecordedWorkOrder): WorkOrder {
  return {
    id: w.id,
    terminal: { ...w.terminal },
    reason: w.reason,
    destination: w.destination,
    owner: { merchant: 'replay', location: 'replay' },
    technician: { name: 'Replay Technician', organisation: 'posdecom replay', contact: 'replay@example.org' },
    authority: { reference: w.authority.reference, code: REPLAY_AUTHORITY_CODE },
    // The recording zeroed the password; replay compares APDUs with it masked the same way.
    ...(w.zvt ? { zvt: { password: REPLAY_ZVT_PASSWORD } } : {}),
  };
}

export const REPLAY_ZVT_PASSWORD = '000000';

/** The protocol a recorded run spoke, from its header (`zvt/...` for ZVT). */
function protocolOf(h: TranscriptHeader): 'line' | 'zvt' {
  return h.protocol.startsWith('zvt') ? 'zvt' : 'line';
}

function portArgs(s: PortSettings, h: TranscriptHeader): PortArgs {
  return {
    protocol: protocolOf(h),
    baud: s.baudRate,
    'data-bits': s.dataBits,
    parity: s.parity,
    'stop-bits': s.stopBits,
    'flow-control': s.flowControl,
    timeout: sessionFromHeader(h).session.requestTimeoutMs ?? 3000,
  };
}

/** Runs the run's command against `port`; resolves with its exit code, as the CLI would exit. */
export async function runRecorded(h: TranscriptHeader, port: string, env: ReplayEnv): Promise<number> {
  const o = h.options;
  try {
    if (h.command === 'identify') {
      const { runIdentify } = await import('../run/identify.js');
      const args: IdentifyArgs = { ...portArgs(h.settings, h), port, json: false };
      return await runIdentify(args, env.io);
    }
    if (h.command === 'backup') {
      const { runBackup } = await import('../run/backup.js');
      const args: BackupArgs = {
        ...portArgs(h.settings, h),
        port,
        out: env.dir,
        resume: o.resume === true,
        'backup-recipient': env.pki.recipientCertPath,
        'reconnect-wait': (o.reconnectWaitMs ?? 30_000) / 1000,
        json: false,
        ...(o.stores ? { stores: o.stores.join(',') } : {}),
      };
      return await runBackup(args, env.io);
    }
    const { runDecommission } = await import('../workflow/runner.js');
    const result = await runDecommission({
      port,
      protocol: protocolOf(h),
      settings: h.settings,
      dir: env.dir,
      workOrders: (h.workOrders ?? []).map(workOrderFrom),
      resume: o.resume === true,
      dryRun: o.dryRun === true,
      yes: true,
      allowUnsettled: o.allowUnsettled === true,
      ...(o.cardDataBackup ? { cardDataBackup: o.cardDataBackup } : {}),
      recipientPath: env.pki.recipientCertPath,
      signer: env.pki.signer,
      session: sessionFromHeader(h).session,
      reconnectWaitMs: o.reconnectWaitMs ?? 30_000,
      // The statements are the technician's words, not the conversation: stand-ins will do.
      attestations: (o.attested ?? []).map((a) => ({
        step: a.step as StepName,
        ...(a.target ? { target: a.target } : {}),
        statement: 'replayed attestation',
        time: new Date(0).toISOString(),
        evidence: [],
      })),
      reporter: env.reporter,
      confirm: async () => true,
    });
    return result.exitCode;
  } catch (err) {
    return exitCodeFor(err);
  }
}
