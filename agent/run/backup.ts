import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { BackupSet } from '../../wipe/backup/backup-set.js';
import { loadRecipient } from '../../wipe/cms/encrypt.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { Journal } from '../journal.js';
import {
  defaultPartBytes,
  partBytesFrom,
  portSettingsFrom,
  sessionOptionsFrom,
  type PortArgs,
} from '../options.js';
import { installInterruptHandlers, onInterrupt } from '../interrupt.js';
import { lockJobDir, type JobLock } from '../job-lock.js';
import { createReporter } from '../reporter.js';
import { readKeyConfig } from '../signing-config.js';
import { PROCESS_IO, type CommandIo } from '../command.js';
import { Transcript } from '../transcript/transcript.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { Connection } from '../workflow/connection.js';
import { sameRecipientAsJournal } from '../workflow/job-dir.js';
import { resolveProtocol } from '../protocol-choice.js';
import { ZVT_PROTOCOL } from '../../protocol/zvt/index.js';
import { backupStores, chooseStores, type BackupStoresContext, type StoreResult } from './backup-stores.js';

export interface BackupArgs extends PortArgs {
  action?: string;
  port?: string;
  out?: string;
  stores?: string;
  resume: boolean;
  'backup-recipient'?: string;
  config?: string;
  record?: string;
  'reconnect-wait': number;
  'backup-part-size'?: number;
  json: boolean;
  in?: string;
  key?: string;
}

/**
 * `posdecom backup`: the decommission job's backup step on its own. Reads only (no
 * authorization, nothing changes on the terminal); same transport, journal, reconnect and
 * progress display as decommission. `io` lets `posdecom replay` run it without writing to the
 * process's own streams.
 */
export async function runBackup(args: BackupArgs, io: CommandIo = PROCESS_IO): Promise<number> {
  const human = args.json ? io.stderr : io.stdout;
  const r = createReporter({ stream: human, tty: Boolean(human.isTTY) });
  // What is open so far, for the journal's stop entry and for closing, however the run ends.
  const open: OpenParts = {};
  const uninstall = io === PROCESS_IO ? installInterruptHandlers() : () => undefined;
  const unregister = onInterrupt({
    journal: () => open.journal,
    close: async () => open.conn?.close(),
    release: () => open.lock?.release(),
  });
  try {
    const { port, dir, recipient, partBytes } = await checkBackupArgs(args);
    open.lock = lockJobDir(dir, 'backup');
    const wantedStores = args.stores
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const protocol = resolveProtocol(args.protocol, port);
    const transcript = args.record
      ? openTranscript(args.record, args, port, wantedStores, protocol)
      : undefined;
    open.transcript = transcript;
    const conn = new Connection({
      port,
      protocol,
      settings: portSettingsFrom(args, protocol),
      session: sessionOptionsFrom(args),
      reconnectWaitMs: Math.max(0, args['reconnect-wait']) * 1000,
      reporter: r,
      ...(transcript ? { transcript } : {}),
      onLinkLost: (what, err) =>
        open.journal?.append('note', { data: { event: 'link-lost', during: what, error: err.message } }),
    });
    open.conn = conn;
    r.step(`connecting to ${port}`);
    const driver = await conn.open();
    transcript?.setStep('identify');
    const identity = await driver.identify();
    transcript?.noteIdentity(identity);
    conn.pin(identity, undefined);
    r.info(`terminal ${identity.vendor} ${identity.model}, serial ${identity.serial}`);
    const journal = args.resume ? Journal.open(dir) : Journal.create(dir);
    open.journal = journal;
    const tool = { name: TOOL_NAME, version: TOOL_VERSION };
    const recipientSha256 = recipient.sha256Fingerprint;
    journal.append(args.resume ? 'resume' : 'job', {
      data: { kind: 'backup', serial: identity.serial, recipientSha256, tool },
    });
    const set = await BackupSet.open(join(dir, 'backup'), identity, recipient, tool, args.resume);
    journalOpening(journal, open.lock, set);
    transcript?.setStep('inventory');
    const all = await conn.withLink('stores', (d) => d.listStores());
    // An empty --stores names no store: all of them are backed up.
    const wanted = chooseStores(all, args.stores ? wantedStores : undefined);
    const context = {
      dir,
      set,
      recipient,
      conn,
      journal,
      transcript,
      reporter: r,
      partBytes: partBytes ?? defaultPartBytes(protocol),
    };
    const results = await backupStores(all, wanted, context);
    return finishBackup(args, io, context, identity.serial, results);
  } catch (err) {
    open.journal?.append('stop', { data: { error: describeError(err) } });
    io.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await open.conn?.close();
    open.transcript?.close();
    open.journal?.close();
    open.lock?.release();
    unregister();
    uninstall();
  }
}

interface OpenParts {
  conn?: Connection;
  journal?: Journal;
  transcript?: Transcript;
  lock?: JobLock;
}

/** Journal notes for what opening the directory found: a dead holder's lock, leftovers removed. */
function journalOpening(journal: Journal, lock: JobLock | undefined, set: BackupSet): void {
  if (lock?.tookOver)
    journal.append('note', { data: { event: 'stale-lock-taken-over', holder: lock.tookOver } });
  for (const l of set.removed)
    journal.append('note', { data: { event: 'leftover-removed', file: `backup/${l.file}`, why: l.why } });
}

/** Journals the end of the backup and reports it: one JSON line with --json, else a sentence. */
function finishBackup(
  args: BackupArgs,
  io: CommandIo,
  { dir, set, journal, reporter: r }: BackupStoresContext,
  serial: string,
  results: StoreResult[],
): number {
  const failed = results.filter((x) => x.status !== 'ok');
  journal.append('done', { data: { failed: failed.map((f) => f.store) } });
  const exitCode = failed.length === 0 ? ExitCode.Success : ExitCode.BackupFailed;
  if (args.json)
    io.stdout.write(
      JSON.stringify({
        dir,
        serial,
        stores: results,
        manifestSha256: set.manifestSha256,
        exitCode,
      }) + '\n',
    );
  else
    r.print(
      `\n${results.length - failed.length} of ${results.length} stores backed up to ${set.dir}${failed.length ? `; failed: ${failed.map((f) => f.store).join(', ')}` : ''}`,
    );
  return exitCode;
}

/**
 * What can be checked before the terminal is touched: a port and an output directory, a backup
 * recipient that loads, and a directory that is new or (with --resume) holds a backup to resume.
 */
async function checkBackupArgs(args: BackupArgs) {
  if (!args.port || !args.out)
    throw new PosdecomError(ErrorCode.UsageInvalid, 'backup needs --port and --out');
  const recipientPath = args['backup-recipient'] ?? resolveRecipientFromConfig(args.config);
  const recipient = await loadRecipient(recipientPath);
  const dir = args.out;
  if (existsSync(join(dir, 'journal.jsonl')) && !args.resume) {
    throw new PosdecomError(
      ErrorCode.WorkflowUnfinishedJob,
      `${dir} already holds a job; use --resume or another --out`,
    );
  }
  if (args.resume && !existsSync(join(dir, 'journal.jsonl'))) {
    throw new PosdecomError(ErrorCode.UsageInvalid, `--resume: ${dir} holds no backup to resume`);
  }
  // Parts already written are encrypted to the recipient the backup started with.
  if (args.resume) sameRecipientAsJournal(dir, recipient.sha256Fingerprint);
  const partBytes = partBytesFrom(args['backup-part-size']);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { port: args.port, dir, recipient, partBytes };
}

function openTranscript(
  path: string,
  args: BackupArgs,
  port: string,
  wantedStores: string[] | undefined,
  protocol: 'line' | 'zvt',
): Transcript {
  return new Transcript(path, {
    command: 'backup',
    port,
    ...(protocol === 'zvt' ? { protocol: ZVT_PROTOCOL } : {}),
    settings: portSettingsFrom(args, protocol),
    session: sessionOptionsFrom(args),
    options: {
      resume: args.resume,
      reconnectWaitMs: Math.max(0, args['reconnect-wait']) * 1000,
      ...(wantedStores ? { stores: wantedStores } : {}),
    },
  });
}

function resolveRecipientFromConfig(config: string | undefined): string {
  if (!config)
    throw new PosdecomError(
      ErrorCode.UsageInvalid,
      'backup needs --backup-recipient (or --config naming backupRecipient)',
    );
  const path = readKeyConfig(config).backupRecipient;
  if (!path) throw new PosdecomError(ErrorCode.UsageInvalid, `--config ${config} names no backupRecipient`);
  return path;
}
