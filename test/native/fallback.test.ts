/**
 * Without a loadable addon the library runs on its TypeScript twins, says so
 * once on stderr, and writes the same bytes as the native build.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeNpy } from '../../src/io/npy';
import { hasNative } from '../../src/native/addon';
import { rng } from '../helpers/rng';
import { tmpDir } from '../helpers/tmp';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'realabel.js');
const dir = tmpDir('realabel-fallback-');
// Preloaded into the child: every `.node` file fails to load, as on a machine where the build failed.
const BREAK_ADDONS = path.join(dir, 'break-addons.js');
fs.writeFileSync(
  BREAK_ADDONS,
  "const M = require('module'); const load = M._load;\n" +
    "M._load = function (req, ...rest) { if (String(req).endsWith('.node')) throw new Error('simulated: addon missing'); return load.call(this, req, ...rest); };\n",
);

function topkCli(input: string, out: string, breakAddons: boolean) {
  const env = { ...process.env, NODE_OPTIONS: breakAddons ? `--require ${BREAK_ADDONS}` : '' };
  delete (env as Record<string, string | undefined>).REALABEL_NATIVE;
  delete (env as Record<string, string | undefined>).REALABEL_ADDON;
  return spawnSync(process.execPath, [BIN, 'topk', input, '--k', '500', '--criterion', 'prob', '--out', out], { encoding: 'utf8', env });
}

(hasNative() ? describe : describe.skip)('fallback to the TypeScript twins', () => {
  it('warns once and produces byte-identical output', () => {
    const next = rng(11);
    const input = path.join(dir, 'logits.npy');
    writeNpy(input, { dtype: 'f4', shape: [300, 40], data: Float32Array.from({ length: 300 * 40 }, () => next() * 6 - 3) });
    const native = topkCli(input, path.join(dir, 'native.npz'), false);
    const twin = topkCli(input, path.join(dir, 'twin.npz'), true);
    expect(native.status).toBe(0);
    expect(native.stderr).not.toMatch(/native core not available/);
    expect(twin.status).toBe(0);
    const warnings = twin.stderr.split('\n').filter((l) => /native core not available/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/simulated: addon missing.*pure-TypeScript kernels/);
    expect(fs.readFileSync(path.join(dir, 'twin.npz'))).toEqual(fs.readFileSync(path.join(dir, 'native.npz')));
  });
});
