import { ByteSink } from '../../src/io/byte-sink';

test('ByteSink keeps order and bytes across block boundaries, long strings, long byte runs and multi-byte characters', () => {
  const sink = ByteSink.inMemory();
  const parts: Buffer[] = [];
  const add = (x: string | Uint8Array) => {
    if (typeof x === 'string') sink.text(x);
    else sink.bytes(x);
    parts.push(typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x));
  };
  for (let i = 0; i < 5000; i++) add(`row ${i} é😀,`);
  add('x'.repeat(3 << 20)); // longer than a block
  add(new Uint8Array(3 << 20).fill(7));
  for (let i = 0; i < 100; i++) add(new Uint8Array(40_000).fill(i));
  add('end\n');
  const out = sink.contents();
  expect(out.equals(Buffer.concat(parts))).toBe(true);
  expect(sink.length).toBe(out.length);
});
