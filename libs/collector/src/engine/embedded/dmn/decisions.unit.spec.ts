import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { EngineError } from '../../engine.errors';
import { DecisionRepository, readDecisions } from './decisions';

const discounts = readFileSync(join(__dirname, '../fixtures/dialect/discount.dmn'), 'utf8');

const table = (hitPolicy: string, rules: string, aggregation = '') => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="D" namespace="x">
  <decision id="t" name="T">
    <decisionTable id="dt" hitPolicy="${hitPolicy}" ${aggregation ? `aggregation="${aggregation}"` : ''}>
      <input id="i"><inputExpression id="ie"><text>n</text></inputExpression></input>
      <output id="o" name="out" />
      ${rules}
    </decisionTable>
  </decision>
</definitions>`;
const rule = (id: string, test: string, out: string) =>
  `<rule id="${id}"><inputEntry id="${id}i"><text>${test}</text></inputEntry><outputEntry id="${id}o"><text>${out}</text></outputEntry></rule>`;

async function repository(xml: string): Promise<DecisionRepository> {
  const repo = new DecisionRepository();
  await repo.deploy(xml, 'test.dmn');
  return repo;
}

describe('DMN decisions', () => {
  it('evaluates a decision table with the result of the decision it requires', async () => {
    const repo = await repository(discounts);
    expect(repo.evaluate('discount', { orders: 12, amount: 150 })).toEqual({
      percent: 15,
      reason: 'gold and large',
    });
    expect(repo.evaluate('discount', { orders: 12, amount: 20 })).toEqual({ percent: 10, reason: 'gold' });
    expect(repo.evaluate('discount', { orders: 1, amount: 75 })).toEqual({ percent: 3, reason: 'medium' });
    expect(repo.evaluate('discount', { orders: 1, amount: 100 })).toBeNull();
    expect(repo.evaluate('customer-tier', { orders: 10 })).toBe('gold');
  });

  it('follows the hit policies Camunda 8 runs', async () => {
    const rules = rule('a', '&gt; 1', '1') + rule('b', '&gt; 2', '2') + rule('c', '&gt; 3', '3');
    expect((await repository(table('RULE ORDER', rules))).evaluate('t', { n: 5 })).toEqual([1, 2, 3]);
    expect((await repository(table('COLLECT', rules))).evaluate('t', { n: 3 })).toEqual([1, 2]);
    expect((await repository(table('COLLECT', rules, 'SUM'))).evaluate('t', { n: 5 })).toBe(6);
    expect((await repository(table('COLLECT', rules, 'COUNT'))).evaluate('t', { n: 5 })).toBe(3);
    expect((await repository(table('COLLECT', rules, 'MAX'))).evaluate('t', { n: 5 })).toBe(3);
    expect((await repository(table('FIRST', rules))).evaluate('t', { n: 5 })).toBe(1);
    const unique = await repository(table('UNIQUE', rules));
    expect(unique.evaluate('t', { n: 2 })).toBe(1);
    expect(() => unique.evaluate('t', { n: 5 })).toThrow(/UNIQUE, but rules a, b, c match/);
  });

  it('refuses a DMN that does not parse or that it cannot evaluate, naming the resource and element', async () => {
    await expect(readDecisions('<definitions', 'broken.dmn')).rejects.toMatchObject({
      code: 'INVALID_DMN',
      message: expect.stringContaining('broken.dmn: cannot read the DMN'),
    });
    await expect(readDecisions(table('PRIORITY', rule('a', '1', '1')), 'p.dmn')).rejects.toThrow(
      /p.dmn: decision t: hit policy PRIORITY is not supported/,
    );
    await expect(readDecisions(table('FIRST', rule('a', '&gt; (', '1')), 'bad.dmn')).rejects.toThrow(
      /bad.dmn: decision t rule a: input entry "> \(" is not valid FEEL/,
    );
    const error = await readDecisions(table('FIRST', rule('a', '1', '1 +')), 'out.dmn').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toMatch(/out.dmn: decision t rule a output out is not valid FEEL/);
  });

  it('names a decision that is not deployed', async () => {
    const repo = await repository(discounts);
    expect(() => repo.evaluate('missing', {})).toThrow('no decision missing is deployed');
  });
});
