import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { digits, routingNumber } from '#validators/onboarding'
import { freeText } from '#validators/text'

const ACCOUNT_LENGTHS = Array.from({ length: 14 }, (_, index) => index + 4)

const holderFields = {
  account_holder_name: freeText({ min: 2, max: 100 }),
  account_holder_type: vine.enum(['individual', 'company'] as const),
  mandate: vine.accepted(),
  form_token: vine.string().trim().uuid().optional(),
}

/**
 * POST /bank-accounts in sandbox mode: the numbers typed by the employer
 * (the account number is never flashed back, stored or logged).
 */
export const addBankAccountValidator = vine.create({
  routing_number: vine.string().trim().use(routingNumber()),
  account_number: vine
    .string()
    .trim()
    .maxLength(30)
    .use(digits({ lengths: ACCOUNT_LENGTHS, what: 'account number' })),
  ...holderFields,
})

/**
 * With real Stripe: the account was linked by Stripe.js (Financial
 * Connections); the form names the row the collection started with.
 */
export const collectBankAccountValidator = vine.create({
  account_holder_name: holderFields.account_holder_name.optional(),
  account_holder_type: holderFields.account_holder_type,
  mandate: holderFields.mandate,
  form_token: vine.string().trim().uuid(),
})

export const finishBankAccountValidator = vine.create({
  bank_account: vine.number().withoutDecimals().positive().max(2_147_483_647),
  mandate: vine.accepted(),
})

const cents = () =>
  vine
    .string()
    .trim()
    .regex(/^\d{1,2}$/)
    .optional()

/** POST /bank-accounts/:id/verify: the two deposits in cents, or the descriptor code */
export const verifyBankAccountValidator = vine.create({
  amount_1: cents(),
  amount_2: cents(),
  descriptor_code: vine
    .string()
    .trim()
    .regex(/^SM[A-Z0-9]{4}$/i)
    .optional(),
  form_token: vine.string().trim().uuid().optional(),
})

const FIELDS = {
  routing_number: 'routing number',
  account_number: 'account number',
  account_holder_name: 'account holder’s name',
  account_holder_type: 'account type',
  descriptor_code: 'code',
}

const messages = new SimpleMessagesProvider(
  {
    'required': 'Enter the {{ field }}.',
    'string': 'The {{ field }} must be text.',
    'minLength': 'The {{ field }} must be at least {{ min }} characters long.',
    'maxLength': 'The {{ field }} must be at most {{ max }} characters long.',
    'account_holder_type.enum': 'Choose whether the account belongs to a person or a company.',
    'account_holder_type.required': 'Choose whether the account belongs to a person or a company.',
    'mandate.accepted': 'Tick the box to authorize Crewpay to debit this account.',
    'mandate.required': 'Tick the box to authorize Crewpay to debit this account.',
    'amount_1.regex': 'Enter each amount in cents, from 1 to 99 (for example 32).',
    'amount_2.regex': 'Enter each amount in cents, from 1 to 99 (for example 32).',
    'descriptor_code.regex':
      'Enter the 6-character code that starts with SM, from the deposit on your bank statement.',
    'form_token.uuid': 'This form has expired. Reload the page and try again.',
    'form_token.required': 'This form has expired. Reload the page and try again.',
    'bank_account.number': 'This bank account is not one of yours.',
    'bank_account.required': 'Link your bank account first.',
  },
  FIELDS
)

for (const validator of [
  addBankAccountValidator,
  collectBankAccountValidator,
  finishBankAccountValidator,
  verifyBankAccountValidator,
]) {
  validator.messagesProvider = messages
}
