import { z } from 'zod';

/** The longest comment any setting may allow; `EDDY_COMMENT_MAX_LENGTH` chooses the limit below it. */
export const MAX_COMMENT_LENGTH_LIMIT = 10_000;

/** The longest comment when no setting says otherwise. */
export const DEFAULT_MAX_COMMENT_LENGTH = 4_000;

/**
 * Control characters (C0 except tab, line feed and carriage return; DEL; C1) and the invisible
 * characters that reorder text (bidirectional overrides): plain text has none of them.
 */
const FORBIDDEN_CHARACTERS =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * What is wrong with a comment's text, or `null`: it must be plain text (line breaks and tabs
 * allowed, other control characters not), not blank, and at most `maxLength` characters.
 */
export function commentProblem(text: string, maxLength: number): string | null {
  if (text.trim().length === 0) return 'must not be blank';
  if (text.length > maxLength) return `must be at most ${maxLength} characters`;
  const found = FORBIDDEN_CHARACTERS.exec(text);
  if (found) {
    const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `must be plain text: control character U+${code} at index ${found.index}`;
  }
  return null;
}

/** The text of a comment, within the hard limit; the configured limit is checked with the command's limits. */
export const commentTextSchema = z.string().superRefine((text, ctx) => {
  const problem = commentProblem(text, MAX_COMMENT_LENGTH_LIMIT);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
