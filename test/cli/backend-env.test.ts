/**
 * REALABEL_CUDA=0 is read by the CLI and reaches the library as `backend`:
 * 'auto' becomes the CPU's choice, an explicit backend is kept.
 */
import { cliBackend } from '../../src/cli/common';
import { hasNative } from '../../src/native/addon';

test('REALABEL_CUDA=0 turns auto into the CPU backend', () => {
  expect(cliBackend('auto', { REALABEL_CUDA: '0' })).toBe(hasNative() ? 'native' : 'ts');
});

test('without REALABEL_CUDA=0, or with an explicit backend, the flag is passed as given', () => {
  expect(cliBackend('auto', {})).toBe('auto');
  expect(cliBackend('auto', { REALABEL_CUDA: '1' })).toBe('auto');
  expect(cliBackend('cuda', { REALABEL_CUDA: '0' })).toBe('cuda');
  expect(cliBackend('ts', { REALABEL_CUDA: '0' })).toBe('ts');
});
