import { BadUserInputError } from '../../kernel/errors';

/** What a webhook's inputs may hold, checked before anything runs. */
export function validateDescription(raw: string | null | undefined, field: string): string | null {
  const text = raw?.trim() ?? '';
  if (text.length > 500) throw new BadUserInputError({ [field]: 'description is at most 500 characters.' });
  return text || null;
}

/** A check's BadUserInputError, keyed by the input field it was about. */
export function renamed<T>(field: string, check: () => T): T {
  const rekey = (error: unknown): never => {
    throw error instanceof BadUserInputError ? new BadUserInputError({ [field]: error.message }) : error;
  };
  try {
    const result = check();
    return (result instanceof Promise ? result.catch(rekey) : result) as T;
  } catch (error) {
    return rekey(error);
  }
}
