import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, PosdecomError } from '../../protocol/errors.js';
import { backupStore } from '../../wipe/backup/store-backup.js';
import { BackupSet } from '../../wipe/backup/backup-set.js';
import { loadRecipient } from '../../wipe/cms/encrypt.js';
import { ExitCode, exitCodeFor } from '../exit-codes.js';
import { describeError } from '../errors-text.js';
import { Journal } from '../journal.js';
import { portSettingsFrom, sessionOptionsFrom, type PortArgs } from '../options.js';
import { createReporter } from '../reporter.js';
import { readKeyConfig } from '../signing-config.js';
import { PROCESS_IO, type CommandIo } from '../command.js';
import { Transcript } from '../transcript/transcript.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { Connection } from '../workflow/connection.js';

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
  let conn: Connection | undefined;
  let journal: Journal | undefined;
  let transcript: Transcript | undefined;
  try {
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
    mkdirSync(join(dir, 'work'), { recursive: true, mode: 0o700 });
    const wantedStores = args.stores
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    transcript = args.record
      ? new Transcript(args.record, {
          command: 'backup',
          port: args.port,
          settings: portSettingsFrom(args),
          session: sessionOptionsFrom(args),
          options: {
            resume: args.resume,
            reconnectWaitMs: Math.max(0, args['reconnect-wait']) * 1000,
            ...(wantedStores ? { stores: wantedStores } : {}),
          },
        })
      : undefined;
    const c = new Connection({
      port: args.port,
      settings: portSettingsFrom(args),
      session: sessionOptionsFrom(args),
      reconnectWaitMs: Math.max(0, args['reconnect-wait']) * 1000,
      reporter: r,
      ...(transcript ? { transcript } : {}),
      onLinkLost: (what, err) =>
        journal?.append('note', { data: { event: 'link-lost', during: what, error: err.message } }),
    });
    conn = c;
    r.step(`connecting to ${args.port}`);
    const driver = await c.open();
    transcript?.setStep('identify');
    const identity = await driver.identify();
    transcript?.noteIdentity(identity);
    c.pin(identity, undefined);
    r.info(`terminal ${identity.vendor} ${identity.model}, serial ${identity.serial}`);
    journal = args.resume ? Journal.open(dir) : Journal.create(dir);
    journal.append(args.resume ? 'resume' : 'job', {
      data: { kind: 'backup', serial: identity.serial, tool: { name: TOOL_NAME, version: TOOL_VERSION } },
    });
    const set = await BackupSet.open(
      join(dir, 'backup'),
      identity,
      recipient,
      { name: TOOL_NAME, version: TOOL_VERSION },
      args.resume,
    );
    transcript?.setStep('inventory');
    const all = await c.withLink('stores', (d) => d.listStores());
    const wanted = args.stores
      ? args.stores
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : all.map((s) => s.name);
    const unknown = wanted.filter((w) => !all.some((s) => s.name === w));
    if (unknown.length > 0) {
      throw new PosdecomError(
        ErrorCode.UsageInvalid,
        `--stores: the terminal has no store ${unknown.join(', ')} (it has ${all.map((s) => s.name).join(', ')})`,
      );
    }
    const results: { store: string; status: string; error?: string }[] = [];
    for (const [index, info] of all.entries()) {
      if (!wanted.includes(info.name)) continue;
      if (set.verified(info.name, info.sha256)) {
        r.info(`${info.name}: already backed up and verified`);
        results.push({ store: info.name, status: 'ok' });
        continue;
      }
      transcript?.setStep(`backup:${info.name}`);
      journal.append('intent', { step: 'backup', target: info.name });
      r.step(`backup: ${info.name} (${info.size} bytes)`);
      const result = await backupStore(info, {
        backupDir: set.dir,
        workDir: join(dir, 'work'),
        index: index + 1,
        recipient,
        read: (store, from, size, sink) => c.readStore(store, from, size, sink),
        onProgress: (done, total) => r.progress(`backup ${info.name}`, done, total),
      });
      r.endProgress();
      await set.record(result);
      journal.append('result', {
        step: 'backup',
        target: info.name,
        data: {
          outcome: result.status,
          receivedSha256: result.receivedSha256,
          terminalSha256: result.terminalSha256,
        },
      });
      if (result.status === 'ok') r.info(`${info.name}: ${result.size} bytes, digest matches the terminal's`);
      else r.warn(`${info.name}: FAILED: ${result.error ?? ''}`);
      results.push({
        store: info.name,
        status: result.status,
        ...(result.error ? { error: result.error } : {}),
      });
    }
    const failed = results.filter((x) => x.status !== 'ok');
    journal.append('done', { data: { failed: failed.map((f) => f.store) } });
    const exitCode = failed.length === 0 ? ExitCode.Success : ExitCode.BackupFailed;
    if (args.json)
      io.stdout.write(
        JSON.stringify({
          dir,
          serial: identity.serial,
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
  } catch (err) {
    journal?.append('stop', { data: { error: describeError(err) } });
    io.stderr.write(`posdecom: ${describeError(err)}\n`);
    return exitCodeFor(err);
  } finally {
    await conn?.close();
    transcript?.close();
    journal?.close();
  }
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
