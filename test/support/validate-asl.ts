/** asl-validator ships no type declarations; this is the part of its API the tests use. */
type AslValidator = (definition: unknown, options?: { readonly checkArn?: boolean; readonly checkPaths?: boolean }) => {
  readonly isValid: boolean;
  readonly errorsText: (separator?: string) => string;
};

const aslValidator = require('asl-validator') as AslValidator;

/** Validates an Amazon States Language definition strictly (ARNs and paths checked); '' when valid. */
export function aslProblems(definition: unknown): string {
  const { isValid, errorsText } = aslValidator(definition, { checkArn: true, checkPaths: true });
  return isValid ? '' : errorsText('\n') || 'invalid';
}
