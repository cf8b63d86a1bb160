import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import { PAYMENT_METHOD_ID, PAYMENT_METHOD_ID_MAX_LENGTH } from '#actions/billing/list_cards'

const NOT_A_CARD_REFERENCE =
  'This is not a card reference from Stripe. Card numbers are never sent to Crewpay: ' +
  'enter the card in the card form.'

/**
 * POST /cards. Only a PaymentMethod id (pm_…) is accepted, never card
 * details. `form_token` is the uuid rendered into the form (double-submit
 * protection); a post without one is a fresh attempt.
 */
export const addCardValidator = vine.create({
  payment_method: vine
    .string()
    .trim()
    .maxLength(PAYMENT_METHOD_ID_MAX_LENGTH)
    .regex(PAYMENT_METHOD_ID),
  form_token: vine.string().trim().uuid().optional(),
})

addCardValidator.messagesProvider = new SimpleMessagesProvider({
  'payment_method.required': 'Choose a card to add.',
  'payment_method.string': NOT_A_CARD_REFERENCE,
  'payment_method.maxLength': NOT_A_CARD_REFERENCE,
  'payment_method.regex': NOT_A_CARD_REFERENCE,
  'form_token.string': 'This form has expired. Reload the page and try again.',
  'form_token.uuid': 'This form has expired. Reload the page and try again.',
})
