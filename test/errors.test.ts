import { AbortError, FormatError, RealabelError, ValidationError } from '../src/errors';
import { fromNative } from '../src/native/addon';

describe('errors', () => {
  it('prefixes the file name and keeps a code', () => {
    const e = new FormatError('truncated header', 'a.npy');
    expect(e).toBeInstanceOf(RealabelError);
    expect(e.message).toBe('a.npy: truncated header');
    expect(e.code).toBe('E_FORMAT');
    expect(e.name).toBe('FormatError');
  });

  it('turns coded native errors into typed errors naming the file, by code (never by message)', () => {
    const native = Object.assign(new RangeError('k = 0 is out of range'), { code: 'E_ARGUMENT' });
    const e = fromNative(native, { file: 'x.npy' });
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.message).toBe('x.npy: k = 0 is out of range');
    const nan = Object.assign(new RangeError('scores row 3 contains NaN'), { code: 'E_NAN', row: 3 });
    expect(fromNative(nan, { dataMessage: (f) => `row ${f.row! + 10} contains NaN` }).message).toBe('row 13 contains NaN');
    expect(fromNative(Object.assign(new Error('stop'), { code: 'E_ABORTED' }))).toBeInstanceOf(AbortError);
    const bug = new Error('boom');
    expect(fromNative(bug)).toBe(bug);
    expect(fromNative(new RangeError('uncoded'))).toBeInstanceOf(RangeError);
  });

  it('AbortError is named like DOMException and Node', () => {
    const e = new AbortError();
    expect(e.name).toBe('AbortError');
    expect(e.code).toBe('ABORT_ERR');
    expect(e).toBeInstanceOf(RealabelError);
  });
});
