import { hasDuplicateKeys } from './duplicate-keys';
import { parseJsonBody } from './json-text';

const dup = (text: string): boolean => hasDuplicateKeys(text, JSON.parse(text));

describe('hasDuplicateKeys', () => {
  it.each([
    '{"code":"A","code":{"$ne":null}}',
    '{"code":"A","code":"B"}',
    '{"code":"A","\\u0063ode":"B"}',
    '{ "a" : 1 , "a"\n:\t2 }',
    '{"__proto__":{"x":1},"__proto__":{"y":2}}',
    '[{"a":1},{"b":1,"b":2}]',
    '{"x":{"y":{"z":1,"z":1}}}',
    '{"a:b":"c","a:b":"d"}',
    '{"k\\"":1,"k\\"":2}',
  ])('finds the key named twice in %s', (text) => {
    expect(dup(text)).toBe(true);
  });

  it.each([
    '{"campaignId":"cmp_1","code":"SYN-AB12-CD34","customerId":"c-1"}',
    '{"a":"\\"a\\":1","b":"x:y:z"}',
    '{"a":{"a":{"a":1}}}',
    '[{"a":1},{"a":2}]',
    '{"k\\\\":1,"k":2}',
    '{"a":[1,2,{"b":"::"}],"c":"d"}',
    '[]',
    '{}',
  ])('finds none in %s', (text) => {
    expect(dup(text)).toBe(false);
  });

  it('walks a deeply nested value without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(dup(deep)).toBe(false);
  });
});

describe('parseJsonBody', () => {
  it('refuses a key named twice as invalid_json', () => {
    let thrown: unknown;
    try {
      parseJsonBody('{"code":"A","code":{"$ne":null}}');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'invalid_json', status: 400 });
    expect(parseJsonBody('\ufeff{"code":"A"}')).toEqual({ code: 'A' });
    expect(parseJsonBody('')).toEqual({});
  });
});
