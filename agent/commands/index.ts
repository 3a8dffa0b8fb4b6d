import type { CliCommand } from '../command.js';
import { portsCommand } from './ports.js';

/** Every command, in the order --help lists them. */
export const commands: CliCommand[] = [portsCommand];
