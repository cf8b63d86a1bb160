import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import { freeText } from '#validators/text'
import { newPassword } from '#validators/password'
import { isTimeZone } from '#services/time_zone'

/*
| The settings forms (GET /settings): profile (name, time zone), email,
| password, account deletion. Notification choices keep their validator in
| validators/auth.ts.
*/

const timeZone = vine.createRule((value: unknown, _options: undefined, field: FieldContext) => {
  if (typeof value === 'string' && !isTimeZone(value)) {
    field.report('Choose a time zone from the list.', 'time_zone', field)
  }
})

export const profileValidator = vine.create({
  full_name: freeText({ min: 2, max: 120 }),
  time_zone: vine.string().trim().maxLength(64).use(timeZone()),
})

export const emailChangeValidator = vine.create({
  email: vine.string().trim().maxLength(254).email().toLowerCase(),
  password_for_email: vine.string().maxLength(128),
})

export const passwordChangeValidator = vine.create({
  current_password: vine.string().maxLength(128),
  password: newPassword(),
})

export const deleteAccountValidator = vine.create({
  password_for_delete: vine.string().maxLength(128),
  confirm: vine.accepted(),
})

const messages = new SimpleMessagesProvider(
  {
    'required': 'Enter your {{ field }}.',
    'string': 'The {{ field }} must be text.',
    'email': 'Enter an email address such as name@example.com.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'minLength': 'The {{ field }} must be at least {{ min }} characters long.',
    'password.regex': 'The new password needs at least one letter and one digit.',
    'confirm.accepted': 'Tick the box to confirm that you want to delete your account.',
    'confirm.required': 'Tick the box to confirm that you want to delete your account.',
  },
  {
    full_name: 'name',
    time_zone: 'time zone',
    email: 'new email address',
    current_password: 'current password',
    password_for_email: 'current password',
    password_for_delete: 'current password',
    password: 'new password',
  }
)

for (const validator of [
  profileValidator,
  emailChangeValidator,
  passwordChangeValidator,
  deleteAccountValidator,
]) {
  validator.messagesProvider = messages
}
