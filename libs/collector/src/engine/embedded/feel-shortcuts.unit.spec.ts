import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { evaluate } from 'feelin';
import { type Variables } from '../engine.port';
import { CAMUNDA_BUILTINS } from './feel-camunda';
import { evaluateFeel } from './feel';
import { DECLINED, feelShortcut } from './feel-shortcuts';
import { runScriptProcess } from '@eddy/testing';

/** What feelin alone gives, in the plain form evaluateFeel returns. */
function byFeelin(expression: string, variables: Variables): unknown {
  const { value } = evaluate(expression.slice(1), { ...CAMUNDA_BUILTINS, ...variables });
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
}

describe('FEEL shortcuts', () => {
  const invoice = { invoiceNumber: 'INV-7', supplier: 'ACME', amount: 100, submitter: 'sam' };
  const description = '="Invoice " + invoiceNumber + " from " + supplier + " over " + string(amount)';

  describe('string concatenation', () => {
    it.each<[string, Variables]>([
      [description, invoice],
      [description, { ...invoice, amount: 0.1 + 0.2 }],
      [description, { ...invoice, amount: 1e21 }],
      [description, { ...invoice, amount: -0 }],
      [description, { ...invoice, amount: true }],
      [description, { ...invoice, amount: 'many' }],
      [description, { ...invoice, supplier: null }],
      [description, { ...invoice, supplier: 42 }],
      [description, { ...invoice, supplier: { name: 'ACME' } }],
      [description, { invoiceNumber: 'INV-7' }],
      [description, { ...invoice, string: 'shadowed' }],
      [description, { ...invoice, 'invoice number': 'spaced' }],
      ['="a" + "b"', {}],
      ['=" + " + name', { name: 'plus' }],
      ['=first+last', { first: 'Ada', last: 'Lovelace' }],
      ['=first + last', { first: 1, last: 2 }],
      ['="a" + null', {}],
      ['="say \\"hi\\" " + name', { name: 'Ada' }],
    ])('gives what feelin gives for %s with %j', (expression, variables) => {
      expect(evaluateFeel(expression, variables)).toEqual(byFeelin(expression, variables));
    });

    it('answers without feelin when every term is a string', () => {
      const shortcut = feelShortcut(description.slice(1));
      expect(shortcut?.(invoice)).toBe('Invoice INV-7 from ACME over 100');
      expect(shortcut?.({ ...invoice, supplier: null })).toBe(DECLINED);
    });

    it.each(['"a" + b.c', '"a" + upper case(b)', '"a" - b', '"a" +', '"open + b', 'string(a) + 1'])(
      'has no shortcut for %s',
      (body) => expect(feelShortcut(body)).toBeNull(),
    );
  });

  describe('due dates', () => {
    const zone = process.env.TZ;
    beforeEach(() => {
      jest.useFakeTimers({ now: Date.parse('2026-12-01T14:46:39.060Z') });
    });
    afterEach(() => {
      jest.useRealTimers();
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    });

    it.each([
      '=now()',
      '=now() + duration("P3D")',
      '= now()+duration( "PT36H" ) ',
      '=now() + duration("P1DT2H3M4.5S")',
      '=now() + duration("-P2D")',
      '=now() + duration("P1M")',
      '=now() + duration("P1Y2M")',
      '=now() + duration("P1W")',
      '=now() + duration("PT0.0001S")',
      '=now() + duration("nonsense")',
      '=now() + duration("P9999999D")',
    ])('gives what feelin gives in UTC for %s', (expression) => {
      process.env.TZ = 'UTC';
      expect(evaluateFeel(expression, invoice)).toEqual(byFeelin(expression, invoice));
    });

    it.each(['2026-12-01T14:46:39.000Z', '2026-12-01T14:46:39.100Z', '2026-02-27T23:00:00.007Z'])(
      'prints the fraction of a second as feelin does at %s',
      (instant) => {
        process.env.TZ = 'UTC';
        jest.setSystemTime(Date.parse(instant));
        const expression = '=now() + duration("P3D")';
        expect(evaluateFeel(expression, {})).toBe(byFeelin(expression, {}));
      },
    );

    it('leaves other zones to feelin', () => {
      // jest gives a test its own copy of process.env, so the zone is changed for a process of its own.
      const script = [
        "const { evaluateFeel } = require('./feel.ts');",
        "const { DECLINED, feelShortcut } = require('./feel-shortcuts.ts');",
        'const declined = feelShortcut(\'now() + duration("P3D")\')({}) === DECLINED;',
        'console.log(JSON.stringify({ declined, value: evaluateFeel(\'=now() + duration("P3D")\', {}) }));',
      ].join('\n');
      const child = runScriptProcess(script, __dirname, { ...process.env, TZ: 'Europe/Berlin' });
      expect(child.stderr).toBe('');
      const { declined, value } = JSON.parse(child.stdout) as { declined: boolean; value: string };
      expect(declined).toBe(true);
      expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?@Europe\/Berlin$/);
    });

    it('leaves a variable named now or duration to feelin', () => {
      process.env.TZ = 'UTC';
      const shortcut = feelShortcut('now() + duration("P3D")');
      expect(shortcut?.({ now: 'shadowed' })).toBe(DECLINED);
      expect(shortcut?.({ duration: 'shadowed' })).toBe(DECLINED);
      expect(shortcut?.({})).toBe('2026-12-04T14:46:39.06Z');
    });
  });
});
