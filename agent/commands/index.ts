import type { CliCommand } from '../command.js';
import { backupCommand } from './backup.js';
import { caCommand } from './ca.js';
import { decommissionCommand } from './decommission.js';
import { demoCommand } from './demo.js';
import { identifyCommand } from './identify.js';
import { portsCommand } from './ports.js';
import { replayCommand } from './replay.js';
import { reportCommand } from './report.js';
import { simulateCommand } from './simulate.js';
import { validateCommand } from './validate.js';
import { verifyCommand } from './verify.js';

/** Every command, in the order --help lists them. */
export const commands: CliCommand[] = [
  demoCommand,
  decommissionCommand,
  backupCommand,
  identifyCommand,
  portsCommand,
  simulateCommand,
  caCommand,
  verifyCommand,
  validateCommand,
  reportCommand,
  replayCommand,
];
