// Decorator test files run in two vitest projects: compiled with legacy decorators and as TC39
// decorators. This module is compiled by the same project as the test that imports it, so its probe
// tells which mode that test runs in.
let seen: 'legacy' | 'tc39' | undefined;
function modeProbe(...args: unknown[]): void {
  seen = args.length === 2 && typeof args[1] === 'object' ? 'tc39' : 'legacy';
}
class ModeProbe {
  @modeProbe method(): void {}
}
new ModeProbe();

/** How the importing test's decorators are compiled. */
export const decoratorMode = seen!;

export const isStandardDecorators = (): boolean => decoratorMode === 'tc39';

/** How definition-time errors name a method: a TC39 decorator is not told its class. */
export const where = (className: string, method: string): string =>
  `@Retryable on ${isStandardDecorators() ? method : `${className}.${method}`}`;
