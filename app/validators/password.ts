import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { dictionary } from '@zxcvbn-ts/language-common'

/*
|--------------------------------------------------------------------------
| New passwords
|--------------------------------------------------------------------------
|
| Every form that sets a password (signup, `users:create-admin`, and the
| reset and change forms) uses `newPassword()`: long enough, a letter and a
| digit, and not one of the ~49,000 most common passwords of leaked password
| lists (zxcvbn-ts's maintained list), compared without case.
|
*/

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 128

let commonPasswords: Set<string> | null = null

/** Whether the password is on the list of common passwords, whatever its case */
export function isCommonPassword(password: string) {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((entry) => entry.toLowerCase()))
  return commonPasswords.has(password.toLowerCase())
}

/** The VineJS rule: refuses a password found on the common-passwords list */
export const notCommonPassword = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value === 'string' && isCommonPassword(value)) {
      field.report(
        'This password is one of the most common ones, the first that attackers try. Choose another.',
        'password.common',
        field
      )
    }
  }
)

/** A password someone chooses: 10 to 128 characters, a letter and a digit, not a common one */
export function newPassword() {
  return (
    vine
      .string()
      .minLength(PASSWORD_MIN_LENGTH)
      .maxLength(PASSWORD_MAX_LENGTH)
      // At least one letter and one digit: "password" and "1234567890" are refused
      .regex(/^(?=.*[A-Za-z])(?=.*\d)/)
      .use(notCommonPassword())
  )
}
