/**
 * The CLI's commands, one module each, in the order `realabel --help` lists
 * them: the pipeline's order, then the helpers (logits, simulate, demo).
 * A module exports `register(program)`.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const COMMANDS: Array<() => Register> = [
  () => require('./topk').register,
  () => require('./propose').register,
  () => require('./select-models').register,
  () => require('./tasks').register,
  () => require('./serve').register,
  () => require('./aggregate').register,
  () => require('./reproduce-real').register,
  () => require('./evaluate').register,
  () => require('./analyze').register,
  () => require('./clean').register,
  () => require('./export').register,
  () => require('./logits').register,
  () => require('./simulate').register,
  () => require('./demo').register,
  () => require('./cluster').register,
];
