import { FormatError, RealabelError, rethrowNative } from '../src/errors';

describe('errors', () => {
  it('prefixes the file name and keeps a code', () => {
    const e = new FormatError('truncated header', 'a.npy');
    expect(e).toBeInstanceOf(RealabelError);
    expect(e.message).toBe('a.npy: truncated header');
    expect(e.code).toBe('E_FORMAT');
    expect(e.name).toBe('FormatError');
  });

  it('turns native TypeError/RangeError into ValidationError naming the file', () => {
    const native = { name: 'RangeError', message: 'k = 0 is out of range' };
    expect(() => rethrowNative(native, 'x.npy')).toThrow('x.npy: k = 0 is out of range');
    expect(() => rethrowNative(new Error('boom'))).toThrow('boom');
  });
});
