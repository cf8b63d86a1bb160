import vine from '@vinejs/vine'
import { SIGNUP_ROLES } from '#models/user'

/** The rules of every new password (signup, reset, admin) */
const newPassword = () =>
  vine
    .string()
    .minLength(10)
    .maxLength(128)
    // At least one letter and one digit: "password" and "1234567890" are refused
    .regex(/^(?=.*[A-Za-z])(?=.*\d)/)

const newAccount = {
  full_name: vine.string().trim().minLength(2).maxLength(120),
  email: vine
    .string()
    .trim()
    .maxLength(254)
    .email()
    .toLowerCase()
    .unique({ table: 'users', column: 'email', caseInsensitive: true }),
  password: newPassword(),
}

export const signupValidator = vine.create({ ...newAccount, role: vine.enum(SIGNUP_ROLES) })

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
