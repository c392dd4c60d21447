import { Lexer, Source, TokenKind } from 'graphql';
import { InputTooDeepError } from './errors';

/**
 * How deeply a client may nest lists and objects: JSON bodies, GET variables and the brackets of
 * a GraphQL document. Every later walk over client values (graphql-js's parser and coercion,
 * keygate's text checks, JSON columns) recurses, and an unbounded depth ends in a stack overflow:
 * a 500 and an error-level log line per request (issue 17). keygate's deepest legitimate input
 * nests five levels; 64 leaves room for any client and for JSON metadata, and is far below where
 * any recursion here runs out of stack (graphql's parser: about 3,000).
 */
export const MAX_NESTING = 64;

/** Both scanners are linear and iterative; they also skip all work when the text has too few brackets to be deep. */
function fewBrackets(text: string, max: number): boolean {
  let open = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x5b || c === 0x7b || c === 0x28) && ++open > max) return false;
  }
  return true;
}

/** The depth JSON text reaches, once it passes `max` (null when it never does). Strings are skipped. */
export function jsonNestingBeyond(text: string, max = MAX_NESTING): number | null {
  if (fewBrackets(text, max)) return null;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest > max ? deepest : null;
}

/**
 * The bracket depth (`{ [ (`) a GraphQL document reaches, once it passes `max`; null when it
 * never does. graphql's Lexer is iterative and knows strings and block strings, so brackets
 * inside them do not count. Text that stops lexing is judged on the depth reached before that
 * point: the recursive parser would descend that far before it met the bad character (a trailing
 * `~` once let 19,000 levels through to a stack overflow).
 */
export function documentNestingBeyond(text: string, max = MAX_NESTING): number | null {
  if (fewBrackets(text, max)) return null;
  const lexer = new Lexer(new Source(text));
  let depth = 0;
  let deepest = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.PAREN_L) {
        deepest = Math.max(deepest, ++depth);
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.BRACKET_R || token.kind === TokenKind.PAREN_R) depth--;
    }
  } catch {
    // The parser reports the syntax error, once the depth reached so far is within bounds.
  }
  return deepest > max ? deepest : null;
}

/** The refusal: 400 BAD_USER_INPUT naming what was too deep and the limit. */
export function nestingError(what: string, depth: number, max = MAX_NESTING): InputTooDeepError {
  return new InputTooDeepError(what, depth, max);
}
