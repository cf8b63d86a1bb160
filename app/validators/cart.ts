import vine from '@vinejs/vine'
import { PAYMENT_METHOD_ID, PAYMENT_METHOD_ID_MAX_LENGTH } from '#actions/billing/list_cards'
import { freeText } from '#validators/text'

export const addToCartValidator = vine.create({
  service_id: vine.number().withoutDecimals().positive().max(2_147_483_647),
})

export const checkoutValidator = vine.create({
  payment_method: vine
    .string()
    .trim()
    .maxLength(PAYMENT_METHOD_ID_MAX_LENGTH)
    .regex(PAYMENT_METHOD_ID)
    .optional(),
  note: freeText({ min: 0, max: 2000, multiline: true }).optional(),
  /** Rendered into the checkout form: the same form sent twice is one order */
  form_token: vine.string().uuid().optional(),
})
