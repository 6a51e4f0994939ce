/**
 * Safe arithmetic for the `calculator` tool: a small recursive-descent parser, no eval.
 *
 * Only numbers, + - * / % ^, parentheses and a fixed list of functions and constants are accepted,
 * so model-written (or prompt-injected) input cannot reach the JavaScript runtime.
 */

const functions: Record<string, (...args: number[]) => number> = {
  sqrt: Math.sqrt,
  abs: Math.abs,
  round: Math.round,
  floor: Math.floor,
  ceil: Math.ceil,
  min: Math.min,
  max: Math.max,
};
const constants: Record<string, number> = { pi: Math.PI, e: Math.E };
const maxDepth = 64;

export class CalculatorError extends Error {
  override readonly name = 'CalculatorError';
}

type Token = { kind: 'num'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]+)|([-+*/%^(),]))/y;
  let index = 0;
  while (index < expression.length) {
    if (/^\s*$/.test(expression.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(expression);
    if (!match)
      throw new CalculatorError(`unexpected character "${expression.slice(index).trim()[0]}" at position ${index}`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'num', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2].toLowerCase() });
    else tokens.push({ kind: 'op', value: match[3] });
  }
  return tokens;
}

/** Evaluates an arithmetic expression; throws `CalculatorError` on anything else. */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > 500) throw new CalculatorError('expression is longer than 500 characters');
  const tokens = tokenize(expression);
  let pos = 0;
  let depth = 0;

  const peek = () => tokens[pos];
  const isOp = (value: string) => peek()?.kind === 'op' && peek()!.value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new CalculatorError(`expected "${value}"`);
    pos++;
  };
  const nested = <T>(fn: () => T): T => {
    if (++depth > maxDepth) throw new CalculatorError('expression is nested too deeply');
    try {
      return fn();
    } finally {
      depth--;
    }
  };

  // sum := product (('+' | '-') product)*
  const sum = (): number => {
    let value = product();
    while (isOp('+') || isOp('-')) value = tokens[pos++].value === '+' ? value + product() : value - product();
    return value;
  };
  // product := unary (('*' | '/' | '%') unary)*
  const product = (): number => {
    let value = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = tokens[pos++].value;
      const right = unary();
      if ((op === '/' || op === '%') && right === 0) throw new CalculatorError('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  // unary := ('-' | '+') unary | power
  const unary = (): number => {
    if (isOp('-')) return (pos++, nested(() => -unary()));
    if (isOp('+')) return (pos++, nested(() => unary()));
    return power();
  };
  // power := atom ('^' unary)?   (right-associative)
  const power = (): number => {
    const base = atom();
    if (isOp('^')) return (pos++, base ** nested(() => unary()));
    return base;
  };
  const atom = (): number => {
    const token = peek();
    if (!token) throw new CalculatorError('unexpected end of expression');
    if (token.kind === 'num') return (pos++, token.value);
    if (token.kind === 'name') {
      pos++;
      // Own properties only: `in` would also find `constructor` and `__proto__` on Object.prototype.
      if (Object.prototype.hasOwnProperty.call(constants, token.value)) return constants[token.value];
      const fn = Object.prototype.hasOwnProperty.call(functions, token.value) ? functions[token.value] : undefined;
      if (!fn)
        throw new CalculatorError(`unknown name "${token.value}"; functions: ${Object.keys(functions).join(', ')}`);
      expect('(');
      const args = [nested(sum)];
      while (isOp(',')) {
        pos++;
        args.push(nested(sum));
      }
      expect(')');
      return fn(...args);
    }
    if (isOp('(')) {
      pos++;
      const value = nested(sum);
      expect(')');
      return value;
    }
    throw new CalculatorError(`unexpected "${token.value}"`);
  };

  if (tokens.length === 0) throw new CalculatorError('empty expression');
  const result = sum();
  if (pos < tokens.length) throw new CalculatorError(`unexpected "${tokens[pos].value}"`);
  if (!Number.isFinite(result)) throw new CalculatorError('result is not a finite number');
  return result;
}
