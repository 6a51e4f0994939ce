/** The calculator tool: arithmetic works; anything else, injection included, is a clear error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateArithmetic, CalculatorError } from '../../activities/tools/calculator';
import { calculatorTool } from '../../activities/tools/registry';

test('arithmetic with precedence, unary minus, powers and functions', () => {
  assert.equal(evaluateArithmetic('(12 + 30) * 2'), 84);
  assert.equal(evaluateArithmetic('2 + 3 * 4 ^ 2'), 50);
  assert.equal(evaluateArithmetic('2 ^ 3 ^ 2'), 512);
  assert.equal(evaluateArithmetic('-3 - -2'), -1);
  assert.equal(evaluateArithmetic('10 % 4 + 1.5e1'), 17);
  assert.equal(evaluateArithmetic('sqrt(16) + max(1, 7, 3) - abs(-2)'), 9);
  assert.equal(evaluateArithmetic('round(pi * 100) / 100'), 3.14);
});

const hostile = [
  'process.exit(1)',
  'require("child_process").execSync("id")',
  'constructor.constructor("return process")()',
  '__proto__',
  // Names on Object.prototype are not constants: each of these once evaluated to a number.
  'constructor ^ 0',
  '__proto__ ^ 0',
  '(constructor ^ 0) * 42',
  '1; 2',
  '`id`',
  '1 + ',
  '((1)',
  '1 / 0',
  '9 ^ 999',
  '('.repeat(100) + '1' + ')'.repeat(100),
  '1+'.repeat(300) + '1',
  '',
];

for (const expression of hostile) {
  test(`rejects ${JSON.stringify(expression.slice(0, 40))}`, () => {
    assert.throws(() => evaluateArithmetic(expression), CalculatorError);
  });
}

test('the LangChain tool validates its arguments with zod', async () => {
  assert.equal(await calculatorTool.invoke({ expression: '6 * 7' }), '42');
  await assert.rejects(calculatorTool.invoke({ expression: 42 } as never));
});
