/**
 * The CLI's commands, one module each, in the order `realabel --help` lists
 * them. A module exports `register(program)`.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const COMMANDS: Array<() => Register> = [
  () => require('./logits').register,
  () => require('./topk').register,
  () => require('./simulate').register,
  () => require('./propose').register,
  () => require('./select-models').register,
  () => require('./tasks').register,
  () => require('./aggregate').register,
  () => require('./reproduce-real').register,
  () => require('./evaluate').register,
  () => require('./analyze').register,
  () => require('./clean').register,
  () => require('./export').register,
];
