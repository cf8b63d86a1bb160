import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'

/*
|--------------------------------------------------------------------------
| Free text: one rule for every field a person types words into
|--------------------------------------------------------------------------
|
| PostgreSQL refuses NUL in text (a 500 with the SQL on the error page) and
| Stripe stores it (then no event of that account can be stored), and other
| control characters (bell, escape, …) have no business in a name or a
| description. So every free-text field of every form and console argument
| goes through `freeText()`: trimmed, refused with a message when it holds a
| control character (newlines are allowed in multi-line fields, and CRLF
| becomes LF), and capped in length.
|
*/

export interface FreeTextOptions {
  /** Longest accepted value, after trimming */
  max: number
  /** Shortest accepted value, after trimming (1 by default: not empty) */
  min?: number
  /** Newlines allowed (a description, a note); one line otherwise */
  multiline?: boolean
}

/**
 * C0 controls, DEL and C1 controls (Unicode category Cc), plus the line and
 * paragraph separators that break lines without being newlines.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u

/**
 * What is wrong with `text` as free text, or null when it is fine: "control"
 * for a control character, "newline" for a line break where one line is
 * wanted, "malformed" for text that is not valid Unicode (a lone surrogate).
 * Shared by the VineJS rule and by console arguments read without VineJS.
 */
export function freeTextProblem(
  text: string,
  { multiline = false }: { multiline?: boolean } = {}
): 'control' | 'newline' | 'malformed' | null {
  if (!text.isWellFormed()) {
    return 'malformed'
  }
  const withoutNewlines = multiline ? text.replace(/\r?\n/g, '') : text
  const found = CONTROL.exec(withoutNewlines)
  if (!found) {
    return null
  }
  return !multiline && (found[0] === '\n' || found[0] === '\r') ? 'newline' : 'control'
}

/** The message for a problem found by `freeTextProblem`, naming the field */
export function freeTextMessage(
  problem: 'control' | 'newline' | 'malformed',
  field = '{{ field }}'
): string {
  switch (problem) {
    case 'newline':
      return `The ${field} must fit on one line.`
    case 'malformed':
      return `The ${field} contains characters that are not valid text.`
    case 'control':
      return `The ${field} contains a control character (such as NUL, bell or escape): remove it and try again.`
  }
}

const plainText = vine.createRule(
  (value: unknown, options: { multiline: boolean }, field: FieldContext) => {
    if (typeof value !== 'string') {
      return
    }
    const problem = freeTextProblem(value, options)
    if (problem) {
      field.report(freeTextMessage(problem), `freeText.${problem}`, field)
      return
    }
    if (options.multiline && value.includes('\r')) {
      field.mutate(value.replace(/\r\n/g, '\n'), field)
    }
  }
)

/**
 * A free-text field: trimmed, no control characters (newlines only when
 * `multiline`), between `min` (1) and `max` characters. Chain `.optional()`
 * for a field that may be left out.
 */
export function freeText({ max, min = 1, multiline = false }: FreeTextOptions) {
  return vine.string().trim().use(plainText({ multiline })).minLength(min).maxLength(max)
}
