import { errorMessage, errorWithStack } from './error-message';

describe('errorMessage / errorWithStack', () => {
  it("reads an Error's message, and anything else thrown as text", () => {
    expect(errorMessage(new TypeError('bad input'))).toBe('bad input');
    expect(errorMessage('plain string')).toBe('plain string');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
  });

  it('gives the stack when there is one, else the message', () => {
    const err = new Error('with a stack');
    expect(errorWithStack(err)).toBe(err.stack);
    expect(errorWithStack(err)).toMatch(/^Error: with a stack\n\s+at /);
    const bare = new Error('no stack');
    bare.stack = undefined;
    expect(errorWithStack(bare)).toBe('no stack');
    expect(errorWithStack('thrown text')).toBe('thrown text');
  });
});
