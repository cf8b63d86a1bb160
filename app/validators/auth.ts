import vine from '@vinejs/vine'
import { SIGNUP_ROLES } from '#models/user'
import { freeText } from '#validators/text'
import { newPassword } from '#validators/password'

const newAccount = {
  full_name: freeText({ min: 2, max: 120 }),
  email: vine
    .string()
    .trim()
    .maxLength(254)
    .email()
    .toLowerCase()
    .unique({ table: 'users', column: 'email', caseInsensitive: true }),
  password: newPassword(),
}

export const signupValidator = vine.create({
  ...newAccount,
  role: vine.enum(SIGNUP_ROLES),
  // Filled by the page's script with the browser's zone; an unknown one means UTC
  time_zone: vine.string().trim().maxLength(64).optional(),
})

/** `node ace users:create-admin`: same rules, no role to choose */
export const adminValidator = vine.create(newAccount)

export const loginValidator = vine.create({
  email: vine.string().trim().maxLength(254).email().toLowerCase(),
  password: vine.string().maxLength(128),
})

export const forgotPasswordValidator = vine.create({
  email: vine.string().trim().maxLength(254).email().toLowerCase(),
})

export const resetPasswordValidator = vine.create({
  password: newPassword(),
})

export const notificationSettingsValidator = vine.create({
  optional_mail: vine.boolean().optional(),
})

/**
 * `?email=` of the login and signup pages (a payment request's link fills it
 * in): an address of plain characters, or nothing
 */
export function prefilledEmail(qs: Record<string, unknown>) {
  const value = typeof qs.email === 'string' ? qs.email.trim() : ''
  return value.length <= 254 && /^[^\s@<>"'\\]+@[^\s@<>"'\\]+$/.test(value) ? value : null
}
